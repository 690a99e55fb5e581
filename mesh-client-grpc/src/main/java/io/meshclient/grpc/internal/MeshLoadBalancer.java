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

  private static final PickResult BYPASSED =
      PickResult.withError(
          Status.INTERNAL.withDescription(
              "meshclient: the call reached the meshclient balancer without passing through the"
                  + " mesh interceptor; build channels with MeshGrpc"));

  private final Helper helper;
  private final Map<Endpoint, Entry> entries = new IdentityHashMap<>();
  private final LinkedHashMap<Endpoint, PickResult> retired = new LinkedHashMap<>();

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
      state = s == ConnectivityState.IDLE || s == ConnectivityState.CONNECTING
          ? (state == ConnectivityState.TRANSIENT_FAILURE ? state : s)
          : s;
      publish();
    }

    private PickResult sticky() {
      return state == ConnectivityState.TRANSIENT_FAILURE ? result : PickResult.withNoResult();
    }
  }

  private static PickResult unreachable(Endpoint e, Status status) {
    return PickResult.withError(
        Status.UNAVAILABLE
            .withDescription(
                "meshclient: no connection to endpoint "
                    + e.address()
                    + " of service '"
                    + e.service()
                    + "': "
                    + status)
            .withCause(
                new MeshPickFailure("no READY connection to " + e.address(), status.getCause())));
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
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
  }

  /** Rebuilds the picker (the rare, allocating path) and the channel's aggregate state. */
  private void publish() {
    IdentityHashMap<Endpoint, PickResult> results = new IdentityHashMap<>(entries.size() * 2);
    boolean ready = false;
    boolean connecting = false;
    for (Entry e : entries.values()) {
      results.put(e.endpoint, e.result);
      ready |= e.state == ConnectivityState.READY;
      connecting |= e.state == ConnectivityState.CONNECTING || e.state == ConnectivityState.IDLE;
    }
    ConnectivityState state =
        ready
            ? ConnectivityState.READY
            : connecting ? ConnectivityState.CONNECTING : ConnectivityState.TRANSIENT_FAILURE;
    helper.updateBalancingState(state, new Picker(results, new IdentityHashMap<>(retired)));
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
      if (attempt == null) {
        return BYPASSED;
      }
      Endpoint e = attempt.endpoint();
      if (e == null) {
        return BYPASSED;
      }
      PickResult r = results.get(e);
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
