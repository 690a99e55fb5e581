package io.meshclient.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.meshclient.grpc.internal.FreshHandshakes;
import io.meshclient.policy.TlsMode;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.PeerPolicy;
import io.meshclient.tls.SpiffeId;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * Server-side mutual TLS with the workload's mesh identity, for grpc-java servers:
 *
 * <pre>{@code
 * Server server = Grpc.newServerBuilderForPort(port, MeshGrpcServer.credentials(creds, inbound))
 *     .maxConnectionAge(10, MINUTES)            // rotated certificates reach long-lived clients
 *     .maxConnectionAgeGrace(30, SECONDS)
 *     .addService(ServerInterceptors.intercept(service, MeshGrpcServer.callerInterceptor()))
 *     .build().start();
 * ...
 * SpiffeId caller = MeshGrpcServer.callerIdentity();   // in a handler: who is calling
 * }</pre>
 *
 * <p>The server presents the credentials' current identity and checks clients against the trust
 * bundle and the {@code inbound} policy at every handshake, so {@link MeshCredentials#update} and
 * {@link MeshCredentials#updateTrust} apply to new connections without a restart. Connections
 * already open keep the certificates they were made with: set {@code maxConnectionAge} (a fraction
 * of the certificate lifetime) so clients reconnect, and re-handshake, regularly.
 */
public final class MeshGrpcServer {

  private MeshGrpcServer() {}

  /**
   * The caller's SPIFFE ID in the gRPC {@link Context} of a call that passed {@link
   * #callerInterceptor()}; null when the client presented no certificate (a PERMISSIVE server's
   * plaintext-identity caller) or the call did not come over TLS.
   */
  public static final Context.Key<@Nullable SpiffeId> CALLER = Context.key("meshclient.caller");

  /** The session value caching the caller's identity per connection (parsed once). */
  private static final String SESSION_CALLER = "io.meshclient.grpc.caller";

  /** A cached "no identity", as session values cannot be null. */
  private static final Object NO_CALLER = new Object();

  /**
   * TLS server credentials from the mesh identity. {@code inbound} decides which clients are let
   * in, read at each handshake: STRICT requires a client certificate ({@code clientAuth REQUIRE})
   * and refuses identities the policy does not allow; PERMISSIVE requests one ({@code OPTIONAL}),
   * accepts clients without a certificate and reports disallowed identities through the
   * credentials' reporter. The client-authentication setting is fixed here, from the mode {@code
   * inbound} has now; a later change between STRICT and PERMISSIVE needs new server credentials.
   * A PERMISSIVE server still speaks only TLS on its port: plaintext clients need a plaintext port.
   *
   * @throws IllegalArgumentException when {@code inbound} is DISABLE (a plaintext server takes
   *     {@code InsecureServerCredentials})
   */
  public static ServerCredentials credentials(MeshCredentials credentials, PeerPolicy inbound) {
    Objects.requireNonNull(credentials, "credentials");
    Objects.requireNonNull(inbound, "inbound");
    TlsMode mode = inbound.mode();
    if (mode == TlsMode.DISABLE) {
      throw new IllegalArgumentException(
          inbound.name()
              + ": tls DISABLE (expected: PERMISSIVE or STRICT for mesh server credentials; a"
              + " plaintext server takes InsecureServerCredentials.create())");
    }
    if (credentials.identity() == null) {
      throw new IllegalArgumentException(
          inbound.name()
              + ": the credentials hold no identity yet (expected: a WorkloadIdentity, given to"
              + " MeshCredentials.create or update, before the server starts)");
    }
    return TlsServerCredentials.newBuilder()
        .keyManager(credentials.keyManager())
        .trustManager(FreshHandshakes.of(credentials.trustManager(inbound)))
        .clientAuth(
            mode == TlsMode.STRICT
                ? TlsServerCredentials.ClientAuth.REQUIRE
                : TlsServerCredentials.ClientAuth.OPTIONAL)
        .build();
  }

  /**
   * Puts the caller's SPIFFE ID (from the client certificate of the call's TLS session) into the
   * call's {@link Context} under {@link #CALLER}. The identity is parsed once per connection. A
   * client certificate whose SPIFFE ID cannot be read fails the call with {@code UNAUTHENTICATED}.
   */
  public static ServerInterceptor callerInterceptor() {
    return CallerInterceptor.INSTANCE;
  }

  /** The caller's SPIFFE ID, inside a call that passed {@link #callerInterceptor()}; else null. */
  public static @Nullable SpiffeId callerIdentity() {
    return CALLER.get();
  }

  private enum CallerInterceptor implements ServerInterceptor {
    INSTANCE;

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
      if (session == null) {
        return next.startCall(call, headers);
      }
      Object cached = session.getValue(SESSION_CALLER);
      if (cached == null) {
        try {
          SpiffeId id = caller(session);
          cached = id == null ? NO_CALLER : id;
        } catch (CertificateParsingException e) {
          call.close(
              Status.UNAUTHENTICATED.withDescription(
                  "meshclient: the client certificate's SPIFFE ID cannot be read: "
                      + e.getMessage()),
              new Metadata());
          return new ServerCall.Listener<>() {};
        }
        session.putValue(SESSION_CALLER, cached);
      }
      if (!(cached instanceof SpiffeId id)) {
        return next.startCall(call, headers);
      }
      return Contexts.interceptCall(Context.current().withValue(CALLER, id), call, headers, next);
    }

    private static @Nullable SpiffeId caller(SSLSession session)
        throws CertificateParsingException {
      Certificate[] chain;
      try {
        chain = session.getPeerCertificates();
      } catch (SSLPeerUnverifiedException e) {
        return null; // PERMISSIVE: the client presented no certificate
      }
      return chain.length > 0 && chain[0] instanceof X509Certificate leaf
          ? SpiffeId.fromCertificate(leaf)
          : null;
    }
  }
}
