package io.meshclient.grpc.internal;

import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import io.meshclient.Endpoint;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Keeps one subchannel per mesh endpoint and publishes a picker that maps the endpoint the engine
 * already chose (see {@link MeshAttempt}) to that endpoint's cached {@link PickResult}. The engine
 * does the choosing (route, balance, admit); the picker only looks up, so a pick is one identity
 * map lookup and allocates nothing.
 *
 * <p>All methods run on the channel's synchronization context. Removing an endpoint shuts its
 * subchannel down gracefully: streams already on it finish, new picks for it fail over.
 */
final class MeshLoadBalancer extends LoadBalancer {

  /** Remembered left endpoints, so a late pick for one fails over instead of waiting. */
  private static final int MAX_RETIRED = 1024;

  /**
   * A pick that finds no attempt: grpc-java deferred the pick of a stream started on the caller's
   * thread to another thread (its connection vanished between pick and stream), or a call reached
   * this balancer without the mesh interceptor (not possible on a MeshGrpc channel). Nothing was
   * sent: it fails over as a connect failure, and the retry carries its call in its options.
   */
  private static final PickResult LOST =
      PickResult.withError(
          Status.UNAVAILABLE
              .withDescription(
                  "meshclient: no mesh attempt for this pick (a pick deferred off the caller's"
                      + " thread, or a call that bypassed the mesh interceptor; build channels"
                      + " with MeshGrpc)")
              .withCause(new MeshPickFailure("no mesh attempt for this pick", null)));

  /**
   * An attempt started on the caller's thread (no options key) whose endpoint was not READY at the
   * pick after all (it changed meanwhile): it cannot wait, as a deferred pick would not find it, so
   * it fails over as a connect failure; nothing was sent.
   */
  private static final PickResult NOT_READY_NOW =
      PickResult.withError(
          Status.UNAVAILABLE
              .withDescription(
                  "meshclient: the chosen endpoint stopped being READY before the pick")
              .withCause(new MeshPickFailure("endpoint not READY at pick time", null)));

  private final Helper helper;
  private final Map<Endpoint, Entry> entries = new IdentityHashMap<>();
  private final LinkedHashMap<Endpoint, PickResult> retired = new LinkedHashMap<>();
  private ReadyEndpoints ready = new ReadyEndpoints();

  MeshLoadBalancer(Helper helper) {
    this.helper = helper;
  }

  /** One endpoint's subchannel and what a pick for it returns now. */
  private final class Entry {
    final Endpoint endpoint;
    final Subchannel subchannel;
    final PickResult ready;
    ConnectivityState state = ConnectivityState.IDLE;
    PickResult result = PickResult.withNoResult();

    Entry(Endpoint endpoint, Subchannel subchannel) {
      this.endpoint = endpoint;
      this.subchannel = subchannel;
      this.ready = PickResult.withSubchannel(subchannel);
    }

    void onState(ConnectivityStateInfo info) {
      if (entries.get(endpoint) != this) {
        return; // shut down: a late report
      }
      ConnectivityState s = info.getState();
      switch (s) {
        case READY -> result = ready;
        case TRANSIENT_FAILURE -> result = unreachable(endpoint, info.getStatus());
        case IDLE -> {
          subchannel.requestConnection();
          result = sticky();
        }
        case CONNECTING -> result = sticky();
        case SHUTDOWN -> {
          return;
        }
      }
      // Like round_robin: a failed endpoint stays failed (picks fail over) until it is READY
      // again, rather than holding calls while it reconnects.
      state =
          s == ConnectivityState.IDLE || s == ConnectivityState.CONNECTING
              ? (state == ConnectivityState.TRANSIENT_FAILURE ? state : s)
              : s;
      publish();
    }

    private PickResult sticky() {
      return state == ConnectivityState.TRANSIENT_FAILURE ? result : PickResult.withNoResult();
    }
  }

  private static PickResult unreachable(Endpoint e, Status status) {
    String tls = TlsFailures.describe(status.getCause());
    String description =
        tls != null
            ? "meshclient: TLS handshake with endpoint "
                + e.address()
                + " of service '"
                + e.service()
                + "' failed: "
                + tls
            : "meshclient: no connection to endpoint "
                + e.address()
                + " of service '"
                + e.service()
                + "': "
                + status;
    // A failed handshake is a connect failure: nothing was sent, another endpoint may be tried.
    return PickResult.withError(
        Status.UNAVAILABLE
            .withDescription(description)
            .withCause(
                new MeshPickFailure("no READY connection to " + e.address(), status.getCause())));
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    ReadyEndpoints shared = resolved.getAttributes().get(ReadyEndpoints.KEY);
    if (shared != null && shared != ready) {
      ready = shared;
    }
    Map<Endpoint, EquivalentAddressGroup> incoming = new IdentityHashMap<>();
    for (EquivalentAddressGroup eag : resolved.getAddresses()) {
      Endpoint e = eag.getAttributes().get(MeshNameResolverProvider.ENDPOINT);
      if (e == null) {
        Status error =
            Status.UNAVAILABLE.withDescription(
                "meshclient: address "
                    + eag
                    + " carries no mesh endpoint (expected: a mesh:///<service> target resolved"
                    + " by the meshclient name resolver)");
        handleNameResolutionError(error);
        return error;
      }
      incoming.put(e, eag);
    }
    for (Iterator<Map.Entry<Endpoint, Entry>> it = entries.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Endpoint, Entry> old = it.next();
      Endpoint e = old.getKey();
      if (!incoming.containsKey(e)) {
        Subchannel sc = old.getValue().subchannel;
        it.remove();
        sc.shutdown(); // graceful: streams on it finish
        retire(e);
      }
    }
    for (Map.Entry<Endpoint, EquivalentAddressGroup> in : incoming.entrySet()) {
      Endpoint e = in.getKey();
      if (entries.containsKey(e)) {
        continue; // same endpoint object, same address: keep the connection
      }
      retired.remove(e);
      Subchannel sc =
          helper.createSubchannel(
              CreateSubchannelArgs.newBuilder().setAddresses(in.getValue()).build());
      Entry entry = new Entry(e, sc);
      entries.put(e, entry);
      sc.start(entry::onState);
      sc.requestConnection();
    }
    publish(); // also for an empty list: the engine rejects calls to it with its own reason
    return Status.OK;
  }

  private void retire(Endpoint e) {
    retired.put(
        e,
        PickResult.withError(
            Status.UNAVAILABLE
                .withDescription(
                    "meshclient: endpoint "
                        + e.address()
                        + " left service '"
                        + e.service()
                        + "' before the call could use it")
                .withCause(new MeshPickFailure("endpoint left: " + e.address(), null))));
    if (retired.size() > MAX_RETIRED) {
      Iterator<Endpoint> oldest = retired.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }

  @Override
  public void handleNameResolutionError(Status error) {
    if (entries.isEmpty()) {
      helper.updateBalancingState(
          ConnectivityState.TRANSIENT_FAILURE, new FixedPicker(PickResult.withError(error)));
    }
  }

  @Override
  public void requestConnection() {
    for (Entry e : entries.values()) {
      if (e.state == ConnectivityState.IDLE) {
        e.subchannel.requestConnection();
      }
    }
  }

  @Override
  public void shutdown() {
    for (Entry e : entries.values()) {
      e.subchannel.shutdown();
    }
    entries.clear();
    retired.clear();
    ready.clear();
  }

  /** Rebuilds the picker (the rare, allocating path) and the channel's aggregate state. */
  private void publish() {
    IdentityHashMap<Endpoint, PickResult> results = new IdentityHashMap<>(entries.size() * 2);
    IdentityHashMap<Endpoint, Boolean> readyNow = new IdentityHashMap<>();
    boolean connecting = false;
    for (Entry e : entries.values()) {
      results.put(e.endpoint, e.result);
      if (e.state == ConnectivityState.READY) {
        readyNow.put(e.endpoint, Boolean.TRUE);
      }
      connecting |= e.state == ConnectivityState.CONNECTING || e.state == ConnectivityState.IDLE;
    }
    boolean ready = !readyNow.isEmpty();
    ConnectivityState state =
        ready
            ? ConnectivityState.READY
            : connecting ? ConnectivityState.CONNECTING : ConnectivityState.TRANSIENT_FAILURE;
    // Picker first, then the ready set: an attempt that sees an endpoint READY finds a picker
    // that knows it.
    helper.updateBalancingState(state, new Picker(results, new IdentityHashMap<>(retired)));
    this.ready.publish(readyNow);
  }

  /** Looks up the endpoint the engine chose; allocates nothing. */
  static final class Picker extends SubchannelPicker {
    private final IdentityHashMap<Endpoint, PickResult> results;
    private final IdentityHashMap<Endpoint, PickResult> left;

    Picker(
        IdentityHashMap<Endpoint, PickResult> results, IdentityHashMap<Endpoint, PickResult> left) {
      this.results = results;
      this.left = left;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      MeshAttempt attempt = args.getCallOptions().getOption(MeshAttempt.KEY);
      boolean onCallerThread = false;
      if (attempt == null) {
        attempt = MeshAttempt.CURRENT.get();
        if (attempt == null || !attempt.starts(args.getHeaders())) {
          return LOST;
        }
        onCallerThread = true;
      }
      Endpoint e = attempt.endpoint();
      if (e == null) {
        return LOST;
      }
      PickResult r = results.get(e);
      if (onCallerThread && (r == null || !r.hasResult())) {
        return NOT_READY_NOW; // must not wait: a deferred pick would not find this attempt
      }
      if (r != null) {
        return r;
      }
      r = left.get(e);
      // Not known yet: the endpoint list reached the engine before this balancer; wait for it.
      return r != null ? r : PickResult.withNoResult();
    }

    @Override
    public String toString() {
      return "MeshLoadBalancer.Picker" + results.values();
    }
  }

  /** Always the same result. */
  private static final class FixedPicker extends SubchannelPicker {
    private final PickResult result;

    FixedPicker(@Nullable PickResult result) {
      this.result = result == null ? PickResult.withNoResult() : result;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      return result;
    }
  }
}
