package io.meshclient.grpc.internal;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.meshclient.MeshRejectedException;
import io.meshclient.Rejection;
import io.meshclient.ServiceHandle;
import io.meshclient.policy.TlsMode;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * The channel of logical calls: each call is a {@link MeshClientCall}, driven through the engine
 * (route, pick, admit, record, retry) with its attempts made on one of the real channels below
 * ({@link Transports}: plaintext or mutual TLS, as the call's policy says). See {@link
 * MeshClientCall} for the retry design. Sits below the application's interceptors, so they see one
 * logical call, and above the per-attempt interceptors (tracing) of the real channels, so each
 * attempt gets its own span.
 */
public final class MeshCallChannel extends Channel {

  private static final Metadata.Key<String> NO_KEY =
      Metadata.Key.of("x-meshclient-none", Metadata.ASCII_STRING_MARSHALLER);

  final ServiceHandle handle;
  final ScheduledExecutorService scheduler;

  /**
   * Headers that per-attempt interceptors inject (trace context): removed before a retry re-sends.
   */
  final List<Metadata.Key<String>> perAttemptHeaders;

  final MeshCallPool pool;

  /** The real channels the attempts go to. */
  final Transports transports;

  /** Per-attempt interceptors below read the attempt from the call options. */
  final boolean tracing;

  private final ConcurrentHashMap<String, String> paths = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Metadata.Key<String>> keys = new ConcurrentHashMap<>();

  public MeshCallChannel(
      ServiceHandle handle,
      ScheduledExecutorService scheduler,
      Transports transports,
      boolean tracing,
      Collection<String> perAttemptHeaders) {
    this.handle = handle;
    this.transports = transports;
    this.tracing = tracing;
    this.scheduler = scheduler;
    this.perAttemptHeaders =
        perAttemptHeaders.stream()
            .map(h -> Metadata.Key.of(h, Metadata.ASCII_STRING_MARSHALLER))
            .toList();
    this.pool = new MeshCallPool(handle);
  }

  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions) {
    return new MeshClientCall<>(this, method, callOptions);
  }

  @Override
  public String authority() {
    return handle.name();
  }

  /** {@code /package.Service/Method}, cached so routing reads a string the JVM already holds. */
  String path(String fullMethodName) {
    String p = paths.get(fullMethodName);
    return p != null ? p : paths.computeIfAbsent(fullMethodName, n -> "/" + n);
  }

  /** The metadata key for a lower-case header name, cached; null for binary headers. */
  Metadata.@Nullable Key<String> key(String name) {
    Metadata.Key<String> k = keys.get(name);
    if (k == null) {
      k =
          keys.computeIfAbsent(
              name,
              n ->
                  n.endsWith(Metadata.BINARY_HEADER_SUFFIX)
                      ? NO_KEY
                      : Metadata.Key.of(n, Metadata.ASCII_STRING_MARSHALLER));
    }
    return k == NO_KEY ? null : k;
  }

  /**
   * The status of a call the mesh refused, naming service, endpoint and reason: UNAVAILABLE, or
   * DEADLINE_EXCEEDED when the refusal is that the call's deadline passed.
   */
  Status rejected(Rejection reason, @Nullable String endpoint) {
    MeshRejectedException e = new MeshRejectedException(handle.name(), reason, endpoint);
    Status base =
        reason == Rejection.DEADLINE_EXCEEDED ? Status.DEADLINE_EXCEEDED : Status.UNAVAILABLE;
    return base.withDescription(e.getMessage()).withCause(e);
  }

  /**
   * The status of a call whose policy demands mutual TLS from a channel built without a mesh
   * identity: nothing was sent, and nothing will work until the channel is built with one.
   */
  Status noCredentials(TlsMode mode) {
    return Status.FAILED_PRECONDITION.withDescription(
        "meshclient: service '"
            + handle.name()
            + "' requires mutual TLS (tls: "
            + mode
            + ") but this channel has no mesh identity (expected: MeshGrpc.builder(mesh, \""
            + handle.name()
            + "\").credentials(MeshCredentials), or tls: DISABLE/PERMISSIVE in the policy)");
  }
}
