package io.meshclient.server;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.meshclient.config.v1.DiscoveryRequest;
import io.meshclient.config.v1.DiscoveryResponse;
import io.meshclient.config.v1.Endpoint;
import io.meshclient.config.v1.Node;
import io.meshclient.config.v1.NodeStatus;
import io.meshclient.config.v1.Registration;
import io.meshclient.tls.SpiffeId;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One client's stream: its identity, subscriptions and acknowledgement state, and the pushes to it.
 *
 * <p>Pushes are state-of-the-world and coalesced: when the transport is not ready (a slow client),
 * nothing is queued; the latest snapshot is sent once it is, so a slow client costs one message of
 * memory, not a backlog.
 */
final class Session implements StreamObserver<DiscoveryRequest> {

  private static final System.Logger LOG = System.getLogger(Session.class.getName());
  private static final Pattern HOST_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._-]+):\\d{1,5}");
  static final int MAX_SUBSCRIPTIONS = 1000;
  static final int MAX_NAME = 253;

  private final ConfigServer server;
  private final ServerCallStreamObserver<DiscoveryResponse> out;
  final long id;
  final String peer;
  /** The SPIFFE ID of the client certificate of the connection, or null without one. */
  final @Nullable SpiffeId caller;
  final Instant connectedAt;

  private final TokenBucket limit;

  volatile @Nullable Node node;
  private volatile boolean ready;
  volatile List<String> subscriptions = List.of();
  volatile String sentVersion = "";
  volatile String ackedVersion = "";
  volatile String nackedVersion = "";
  volatile String lastError = "";
  volatile @Nullable Instant lastNackAt;
  volatile long sentAtNanos;
  volatile long ackedAtNanos;

  // Touched only by onNext (gRPC delivers a call's messages one at a time).
  private boolean started;

  // Guarded by this.
  private String sentNonce = "";
  private String sentHash = "";
  private long sentGeneration = -1;
  private long nonces;
  private boolean pending;
  private boolean closed;

  Session(ConfigServer server, ServerCallStreamObserver<DiscoveryResponse> out, long id, String peer,
      @Nullable SpiffeId caller, double rate, double burst) {
    this.server = server;
    this.out = out;
    this.id = id;
    this.peer = peer;
    this.caller = caller;
    this.connectedAt = Instant.now();
    this.limit = new TokenBucket(rate, burst);
    out.setOnReadyHandler(this::onReady);
    out.setOnCancelHandler(() -> server.onSessionClosed(this));
  }

  @Override
  public void onNext(DiscoveryRequest req) {
    if (!limit.tryAcquire()) {
      fail(Status.RESOURCE_EXHAUSTED.withDescription("too many requests on one stream (limit: "
          + limit.describe() + "); the stream is closed, reconnect with backoff"));
      return;
    }
    Node known = node;
    if (known == null) {
      if (!req.hasNode() || req.getNode().getId().isBlank()) {
        fail(Status.INVALID_ARGUMENT.withDescription(
            "unknown node: the first DiscoveryRequest of a stream must carry node.id (expected: a unique id per process)"));
        return;
      }
      String problem = checkNode(req.getNode());
      if (problem != null) {
        fail(Status.INVALID_ARGUMENT.withDescription(problem));
        return;
      }
      known = req.getNode();
      node = known;
    } else if (req.hasNode() && !req.getNode().getId().equals(known.getId())) {
      fail(Status.INVALID_ARGUMENT.withDescription("node.id changed on an open stream, from '" + known.getId()
          + "' to '" + req.getNode().getId() + "' (expected: one node per stream)"));
      return;
    }
    String problem = checkNames(req.getResourceNamesList());
    if (problem != null) {
      fail(Status.INVALID_ARGUMENT.withDescription(problem));
      return;
    }
    if (!req.getResponseNonce().isEmpty()) {
      onAck(req);
    }
    Endpoint ep = null;
    if (req.hasRegistration()) {
      ep = registration(known, req.getRegistration());
      if (ep == null) {
        return;
      }
    }
    boolean first = !started;
    started = true;
    List<String> names = List.copyOf(new TreeSet<>(req.getResourceNamesList()));
    if (first || (!names.isEmpty() && !names.equals(subscriptions))) {
      subscriptions = names;
      ready = true; // from now on, publications reach this stream
      push(server.snapshot(), true);
    }
    if (ep != null) {
      // After the first push: the publication the registration causes must not race it.
      Endpoint registered = ep;
      String nodeId = known.getId();
      String service = known.getService();
      server.control(() -> server.registry().register(nodeId, service, registered, id));
    }
  }

  /** The client sent bytes that are not a DiscoveryRequest. */
  void rejectUnreadable(String why) {
    fail(Status.INVALID_ARGUMENT.withDescription("not a meshclient.v1.DiscoveryRequest: " + why));
  }

  private synchronized void onAck(DiscoveryRequest req) {
    if (!req.getResponseNonce().equals(sentNonce)) {
      return; // stale: an answer to an older push (xDS ignores these too)
    }
    if (req.hasErrorDetail()) {
      nackedVersion = sentVersion;
      lastError = req.getErrorDetail().getMessage();
      lastNackAt = Instant.now();
      Node n = node;
      LOG.log(Level.WARNING, "node " + (n == null ? "?" : n.getId()) + " NACKed " + sentVersion + ": " + lastError);
    } else {
      ackedVersion = req.getVersionInfo();
      ackedAtNanos = System.nanoTime();
    }
  }

  private @Nullable Endpoint registration(Node n, Registration r) {
    if (n.getService().isEmpty()) {
      fail(Status.INVALID_ARGUMENT.withDescription(
          "registration needs node.service (expected: the service this process serves)"));
      return null;
    }
    String denied = server.registrationDenied(caller, n.getService());
    if (denied != null) {
      fail(Status.PERMISSION_DENIED.withDescription(denied));
      return null;
    }
    if (!HOST_PORT.matcher(r.getAddress()).matches()) {
      fail(Status.INVALID_ARGUMENT.withDescription("registration.address: not host:port, got '" + r.getAddress() + "'"));
      return null;
    }
    Endpoint.Builder b = Endpoint.newBuilder()
        .setAddress(r.getAddress())
        .setZone(r.getZone().isEmpty() ? n.getZone() : r.getZone())
        .putAllLabels(r.getLabelsCount() == 0 ? n.getLabelsMap() : r.getLabelsMap());
    if (r.hasWeight()) {
      b.setWeight(r.getWeight());
    }
    Endpoint ep = b.build();
    // The engine's own rules, so that no client is ever sent an endpoint its Mesh would refuse: a
    // throwaway policy of the node's service with this one endpoint.
    try {
      io.meshclient.policy.ServicePolicy.builder(n.getService())
          .endpoints(io.meshclient.config.PolicyConversion.endpoints(List.of(ep)))
          .build();
    } catch (io.meshclient.policy.PolicyValidationException e) {
      String problems = e.problems().stream()
          .map(p -> p.toString().replace(n.getService() + ".endpoints[0]", "registration"))
          .collect(java.util.stream.Collectors.joining("; "));
      fail(Status.INVALID_ARGUMENT.withDescription("invalid registration: " + problems));
      return null;
    }
    return ep;
  }

  private static @Nullable String checkNode(Node n) {
    if (n.getId().length() > 256) {
      return "node.id: longer than 256 characters";
    }
    if (n.getService().length() > MAX_NAME) {
      return "node.service: longer than " + MAX_NAME + " characters";
    }
    return null;
  }

  private static @Nullable String checkNames(List<String> names) {
    if (names.size() > MAX_SUBSCRIPTIONS) {
      return "resource_names: " + names.size() + " names, more than " + MAX_SUBSCRIPTIONS;
    }
    for (String s : names) {
      if (s.isEmpty() || s.length() > MAX_NAME) {
        return "resource_names: not a service name, got '" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
      }
    }
    return null;
  }

  /** Sends the subscribed part of {@code snap} if it differs from what this client has. */
  synchronized void push(Snapshot snap, boolean force) {
    if (closed || !ready || snap.generation < sentGeneration) {
      return;
    }
    if (!out.isReady()) {
      pending = true; // onReady sends the latest
      return;
    }
    pending = false;
    Snapshot.Prepared prepared = snap.prepare(subscriptions);
    String hash = prepared.hash();
    if (hash.equals(sentHash) && !force) {
      sentGeneration = snap.generation;
      return;
    }
    String version = snap.generation + "-" + hash;
    String nonce = Long.toString(++nonces);
    try {
      out.onNext(DiscoveryResponse.newBuilder().addAllResources(prepared.resources())
          .addAllTrustBundle(snap.trustBundle).setVersionInfo(version).setNonce(nonce).build());
    } catch (RuntimeException e) { // cancelled meanwhile
      LOG.log(Level.DEBUG, "push to a closed stream", e);
      return;
    }
    sentHash = hash;
    sentNonce = nonce;
    sentGeneration = snap.generation;
    sentVersion = version;
    sentAtNanos = System.nanoTime();
  }

  private void onReady() {
    boolean again;
    synchronized (this) {
      again = pending;
    }
    if (again) {
      push(server.snapshot(), false);
    }
  }

  private void fail(Status status) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    Node n = node;
    LOG.log(Level.INFO, "closing stream from " + peer + (n == null ? "" : " (node " + n.getId() + ")") + ": " + status);
    try {
      out.onError(status.asRuntimeException());
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, "already closed", e);
    }
    server.onSessionClosed(this);
  }

  @Override
  public void onError(Throwable t) {
    synchronized (this) {
      closed = true;
    }
    server.onSessionClosed(this);
  }

  @Override
  public void onCompleted() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      out.onCompleted();
    } catch (RuntimeException e) {
      LOG.log(Level.DEBUG, "already closed", e);
    }
    server.onSessionClosed(this);
  }

  NodeStatus status() {
    Node n = node;
    NodeStatus.Builder b = NodeStatus.newBuilder()
        .setPeer(peer)
        .addAllSubscriptions(subscriptions)
        .setSentVersion(sentVersion)
        .setAckedVersion(ackedVersion)
        .setNackedVersion(nackedVersion)
        .setLastError(lastError)
        .setConnectedAt(connectedAt.toString());
    Instant nackAt = lastNackAt;
    if (nackAt != null) {
      b.setLastNackAt(nackAt.toString());
    }
    if (n != null) {
      b.setId(n.getId()).setService(n.getService()).setZone(n.getZone());
    }
    return b.build();
  }
}
