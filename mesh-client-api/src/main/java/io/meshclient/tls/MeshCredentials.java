package io.meshclient.tls;

import io.meshclient.internal.tls.MeshKeyManager;
import io.meshclient.internal.tls.MeshTrustManager;
import io.meshclient.internal.tls.SessionTickets;
import io.meshclient.internal.tls.ServerSslContext;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * The process's mutual-TLS material: its current {@link WorkloadIdentity} and the trust bundle
 * (one root, or two during a CA rotation). Key and trust managers made from it read the current
 * values at every handshake, so {@link #update} and {@link #updateTrust} rotate the identity and
 * the roots under live gRPC channels and OkHttp clients without rebuilding them; connections
 * already open keep the identity they were made with.
 */
public final class MeshCredentials {

  private volatile @Nullable WorkloadIdentity identity;
  private volatile List<X509Certificate> trustRoots;
  private final List<Consumer<WorkloadIdentity>> identityListeners = new CopyOnWriteArrayList<>();
  private final Consumer<String> reporter;

  private MeshCredentials(
      @Nullable WorkloadIdentity identity, List<X509Certificate> trustRoots, Consumer<String> reporter) {
    this.identity = identity;
    this.trustRoots = List.copyOf(trustRoots);
    this.reporter = reporter;
  }

  /**
   * Credentials with these roots and (optionally, until the first certificate arrives) an
   * identity. {@code reporter} hears about peers that PERMISSIVE mode let through although their
   * identity is not allowed.
   */
  public static MeshCredentials create(
      @Nullable WorkloadIdentity identity, List<X509Certificate> trustRoots, Consumer<String> reporter) {
    if (trustRoots.isEmpty()) {
      throw new IllegalArgumentException("empty trust bundle (expected at least one CA certificate)");
    }
    return new MeshCredentials(identity, trustRoots, Objects.requireNonNull(reporter, "reporter"));
  }

  /** The identity in use, or null before the first certificate. */
  public @Nullable WorkloadIdentity identity() {
    return identity;
  }

  public List<X509Certificate> trustRoots() {
    return trustRoots;
  }

  /** Replaces the identity: new handshakes present the new certificate. */
  public void update(WorkloadIdentity newIdentity) {
    this.identity = Objects.requireNonNull(newIdentity, "identity");
    for (Consumer<WorkloadIdentity> l : identityListeners) {
      l.accept(newIdentity);
    }
  }

  /** Replaces the trust bundle (hold old and new roots together during a CA rotation). */
  public void updateTrust(List<X509Certificate> roots) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("empty trust bundle (expected at least one CA certificate)");
    }
    this.trustRoots = List.copyOf(roots);
  }

  /** Calls {@code listener} after each identity update (for metrics and logs). */
  public void onIdentityUpdated(Consumer<WorkloadIdentity> listener) {
    identityListeners.add(listener);
  }

  /** A key manager presenting the current identity. */
  public X509ExtendedKeyManager keyManager() {
    return new MeshKeyManager(this::identity);
  }

  /** A trust manager checking peers against the bundle, then against {@code peers}. */
  public X509ExtendedTrustManager trustManager(PeerPolicy peers) {
    return new MeshTrustManager(this::trustRoots, peers, reporter);
  }

  /**
   * Reports a peer that a PERMISSIVE policy let through although it is not allowed (an unknown
   * identity, or an endpoint that does not speak TLS), through the reporter given to {@link
   * #create}. Adapters call it; the trust manager already does for identities.
   */
  public void report(String message) {
    reporter.accept(message);
  }

  /**
   * A TLS context for connections governed by {@code peers}: client side or server side alike.
   * Server sockets and engines made from it ask for the client's certificate only if configured
   * to; {@link #serverSslContext} does that for you. TLS 1.3 sessions made with it are never
   * resumed: every connection runs a full handshake that checks the current identities, roots
   * and policy (keep TLS 1.2, which resumes by session ID, off for mesh traffic).
   */
  public SSLContext sslContext(PeerPolicy peers) {
    try {
      SSLContext context = SSLContext.getInstance("TLSv1.3");
      context.init(
          new javax.net.ssl.KeyManager[] {keyManager()},
          new TrustManager[] {trustManager(peers)},
          null);
      // Never resume a session: it would skip the live certificate checks.
      SessionTickets.off(context);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLSv1.3 is not available in this JDK", e);
    }
  }

  /**
   * A TLS context for a service's inbound side, for any server that takes an {@link SSLContext}
   * (the JDK {@code HttpsServer}, Jetty, Netty, gRPC's Netty server...). It presents the current
   * identity, checks callers against the trust bundle and {@code inbound}'s identities, and every
   * server socket, server-side socket and engine made from it (and its default {@code
   * SSLParameters}) asks for the caller's certificate as {@code inbound}'s mode is when it is
   * made: required ({@code needClientAuth}) under STRICT, requested ({@code wantClientAuth})
   * otherwise. They speak TLS 1.3 only, and never resume a session (see {@link #sslContext}). Read
   * the caller's identity with {@link SpiffeId#fromSession}.
   *
   * <pre>{@code
   * HttpsServer server = HttpsServer.create(new InetSocketAddress(8443), 0);
   * server.setHttpsConfigurator(new HttpsConfigurator(creds.serverSslContext(
   *     PeerPolicy.fixed("inbound", TlsMode.STRICT, List.of("spiffe://example.org/ns/shop/sa/frontend")))));
   * }</pre>
   *
   * <p>Its {@code init} refuses to run: the credentials own its key and trust material.
   */
  public SSLContext serverSslContext(PeerPolicy inbound) {
    return ServerSslContext.create(sslContext(inbound), inbound);
  }
}
