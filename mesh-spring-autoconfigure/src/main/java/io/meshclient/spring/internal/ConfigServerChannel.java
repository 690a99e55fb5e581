package io.meshclient.spring.internal;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.meshclient.config.ConfigChannels;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;

/**
 * The one gRPC channel to the config server, shared by the policy watcher and the certificate
 * renewer, so that both talk to the server over the same connection and TLS settings. Shut down
 * with the context, after both (they depend on it).
 */
public final class ConfigServerChannel implements DisposableBean {

  private final ManagedChannel channel;

  /**
   * @param trustBundle PEM file of the CA certificates to trust for TLS; the system trust store
   *     when null
   * @throws InvalidMeshPropertiesException when the trust bundle cannot be read or holds no
   *     certificate
   */
  public ConfigServerChannel(String address, boolean plaintext, @Nullable Path trustBundle) {
    this.channel =
        Grpc.newChannelBuilder(address, credentials(plaintext, trustBundle))
            .keepAliveTime(30, TimeUnit.SECONDS)
            .userAgent("meshclient-spring")
            .build();
  }

  private static ChannelCredentials credentials(boolean plaintext, @Nullable Path trustBundle) {
    if (plaintext) {
      return InsecureChannelCredentials.create();
    }
    if (trustBundle == null) {
      return TlsChannelCredentials.create();
    }
    try {
      return ConfigChannels.tls(trustBundle);
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
