package io.meshclient.spring.internal;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.meshclient.config.ConfigChannels;
import io.meshclient.tls.MeshCredentials;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;

/**
 * The one gRPC channel to the config server, shared by the policy watcher and the certificate
 * renewer, so that both talk to the server over the same connection and TLS settings. Shut down
 * with the context, after both (they depend on it).
 */
public final class ConfigServerChannel implements DisposableBean {

  private final ManagedChannel channel;
  /** Once the workload has credentials, their live trust bundle replaces the PEM file's roots. */
  private final AtomicReference<@Nullable MeshCredentials> workload = new AtomicReference<>();
  /** The trust-bundle file's roots; empty with the system trust store or plaintext. */
  private final List<X509Certificate> bootstrap;

  /**
   * @param trustBundle PEM file of the CA certificates to trust for TLS; the system trust store
   *     when null
   * @throws InvalidMeshPropertiesException when the trust bundle cannot be read or holds no
   *     certificate
   */
  public ConfigServerChannel(String address, boolean plaintext, @Nullable Path trustBundle) {
    this.bootstrap = plaintext || trustBundle == null ? List.of() : readBundle(trustBundle);
    this.channel =
        Grpc.newChannelBuilder(address, credentials(plaintext, bootstrap, workload))
            .keepAliveTime(30, TimeUnit.SECONDS)
            .userAgent("meshclient-spring")
            .build();
  }

  /**
   * Trust the workload's live bundle for the config port from now on (with a trust-bundle file):
   * during a CA root rotation the server's certificate moves to the new root, which the bundle
   * file read at start-up does not hold. Without a trust-bundle file the system trust store stays.
   */
  public void followTrustOf(MeshCredentials credentials) {
    workload.set(credentials);
  }

  private static List<X509Certificate> roots(
      List<X509Certificate> bootstrap, AtomicReference<@Nullable MeshCredentials> workload) {
    MeshCredentials w = workload.get();
    return w == null ? bootstrap : w.trustRoots();
  }

  /**
   * The roots a new connection to the config port trusts now (with a trust-bundle file): the
   * file's, then the workload's live bundle. Empty when the system trust store or plaintext is used.
   */
  public List<X509Certificate> trustRoots() {
    return bootstrap.isEmpty() ? List.of() : roots(bootstrap, workload);
  }

  private static ChannelCredentials credentials(
      boolean plaintext,
      List<X509Certificate> bootstrap,
      AtomicReference<@Nullable MeshCredentials> workload) {
    if (plaintext) {
      return InsecureChannelCredentials.create();
    }
    if (bootstrap.isEmpty()) {
      return TlsChannelCredentials.create();
    }
    return ConfigChannels.tls(() -> roots(bootstrap, workload));
  }

  private static List<X509Certificate> readBundle(Path trustBundle) {
    try {
      return ConfigChannels.readPem(trustBundle);
    } catch (IllegalArgumentException e) {
      throw new InvalidMeshPropertiesException(
          List.of(
              new PropertyProblem(
                  "meshclient.config.trust-bundle",
                  trustBundle.toString(),
                  "a PEM file of CA certificates (-----BEGIN CERTIFICATE----- blocks), such as the"
                      + " config server's bundle.pem: " + e.getMessage())));
    }
  }

  public ManagedChannel channel() {
    return channel;
  }

  @Override
  public void destroy() {
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
