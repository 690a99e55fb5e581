package io.meshclient.config;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.meshclient.config.internal.Certificates;
import io.meshclient.config.internal.LiveRootsTrustManager;
import io.meshclient.tls.MeshCredentials;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Transport security for the connection to the config server, for {@link
 * MeshConfigWatcher.Builder#target(String, ChannelCredentials)} and {@link
 * CertificateRenewer.Builder#target(String, ChannelCredentials)}:
 *
 * <pre>{@code
 * ChannelCredentials tls = ConfigChannels.tls(Path.of("/etc/meshclient/config-server-ca.pem"));
 * CertificateRenewer renewer = CertificateRenewer.builder().target("config:7443", tls)...
 * MeshConfigWatcher watcher = MeshConfigWatcher.builder().target("config:7443", tls)...
 * }</pre>
 *
 * <p>Over TLS the bootstrap token and the trust bundle cannot be read or changed on the way; in
 * plaintext ({@code target(String)}, {@code InsecureChannelCredentials}) they can, so use that on
 * loopback only.
 */
public final class ConfigChannels {

  private ConfigChannels() {}

  /**
   * TLS that trusts the CA certificates in a PEM file, read now; the server's certificate must
   * chain to one of them and name the target's host (DNS or IP SAN).
   *
   * @throws IllegalArgumentException naming the file, when it cannot be read or holds no
   *     certificate
   */
  public static ChannelCredentials tls(Path trustBundlePem) {
    return tls(Certificates.readPem(trustBundlePem));
  }

  /** TLS that trusts {@code roots}; the server's certificate must chain to one of them. */
  public static ChannelCredentials tls(List<X509Certificate> roots) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("roots: empty (expected at least one CA certificate)");
    }
    return TlsChannelCredentials.newBuilder().trustManager(Certificates.trustManager(roots)).build();
  }

  /**
   * TLS that trusts, at each handshake, the roots {@code roots} gives then. Pass the workload's
   * own trust bundle once it has one ({@code () -> credentials.trustRoots()}, with the PEM's roots
   * before that): the CA re-issues the config port's certificate from the new root during a root
   * rotation, and a channel built with fixed roots could not reconnect after that.
   *
   * @throws IllegalArgumentException when {@code roots} gives no certificate now
   */
  public static ChannelCredentials tls(Supplier<List<X509Certificate>> roots) {
    return TlsChannelCredentials.newBuilder().trustManager(new LiveRootsTrustManager(roots)).build();
  }

  /**
   * Mutual TLS for a config server that requires workload certificates on the config stream
   * ({@code serve --require-identity}): presents {@code identity}'s current certificate (through
   * {@link MeshCredentials#keyManager()}, read at each handshake, so a renewed certificate is used by
   * the next connection; connections already open keep theirs) and verifies the server as {@link
   * #tls(Supplier)} does.
   *
   * <pre>{@code
   * MeshCredentials credentials = renewer.start(Duration.ofSeconds(30));   // SignCertificate: token, no certificate
   * ChannelCredentials mtls = ConfigChannels.mtls(credentials::trustRoots, credentials);
   * MeshConfigWatcher.builder().target("config:7443", mtls).trustBundleTo(credentials)...
   * }</pre>
   *
   * <p>Until {@code identity} holds a certificate, handshakes present none, and the server refuses
   * the config stream with UNAUTHENTICATED (the watcher retries with backoff).
   *
   * @throws IllegalArgumentException when {@code roots} gives no certificate now
   */
  public static ChannelCredentials mtls(Supplier<List<X509Certificate>> roots, MeshCredentials identity) {
    return TlsChannelCredentials.newBuilder()
        .keyManager(identity.keyManager())
        .trustManager(new LiveRootsTrustManager(roots))
        .build();
  }

  /** The CA certificates in a PEM file, for {@link #tls(Supplier)} before the first bundle arrives. */
  public static List<X509Certificate> readPem(Path trustBundlePem) {
    return Certificates.readPem(trustBundlePem);
  }

  /** A channel owned by a watcher or renewer. */
  static ManagedChannel open(String target, ChannelCredentials credentials, String userAgent) {
    return Grpc.newChannelBuilder(target, credentials)
        .keepAliveTime(30, TimeUnit.SECONDS)
        .userAgent(userAgent)
        .build();
  }

  /** Shuts {@code channel} down, waiting a little for calls in flight. */
  static void shutdown(ManagedChannel channel) {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
