package io.meshclient.spring;

import io.meshclient.config.CertificateListener;
import io.meshclient.config.CertificateRenewer;
import io.meshclient.config.WorkloadCertificateException;
import io.meshclient.spring.internal.ConfigServerChannel;
import io.meshclient.spring.internal.InvalidMeshPropertiesException;
import io.meshclient.spring.internal.PropertyProblem;
import io.meshclient.spring.internal.WorkloadIdentityException;
import io.meshclient.tls.MeshCredentials;
import io.meshclient.tls.SpiffeId;
import io.meshclient.tls.WorkloadIdentity;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Workload identity ({@code meshclient.identity.enabled=true}, DESIGN.md §5): a {@link
 * CertificateRenewer} on the config server channel, and the {@link MeshCredentials} bean holding
 * the certificate it obtains. The first certificate is obtained while the context starts, within
 * {@code meshclient.identity.start-timeout}, so that no client bean is made without it; renewals
 * run in the background; the renewer stops when the context closes. The mesh OkHttp client and
 * gRPC channels use the credentials bean, and the watcher keeps it on the trust bundle the server
 * streams. An application's own {@link MeshCredentials} bean replaces the renewer's.
 */
@AutoConfiguration(
    after = MeshConfigAutoConfiguration.class,
    before = {MeshHttpAutoConfiguration.class, MeshGrpcAutoConfiguration.class})
@ConditionalOnClass(CertificateRenewer.class)
@ConditionalOnBooleanProperty(name = "meshclient.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty("meshclient.identity.enabled")
@ConditionalOnBean(ConfigServerChannel.class)
@ConditionalOnMissingBean(MeshCredentials.class)
public final class MeshIdentityAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  public MeshIdentityStatus meshIdentityStatus() {
    return new MeshIdentityStatus();
  }

  /** Shares the watcher's channel; the token is the identity's own (a file) or the config one. */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public CertificateRenewer meshCertificateRenewer(
      ConfigServerChannel channel, MeshClientProperties properties, MeshIdentityStatus status) {
    MeshClientProperties.Identity identity = properties.getIdentity();
    CertificateRenewer.Builder b =
        CertificateRenewer.builder().channel(channel.channel()).listener(listener(status));
    Path tokenFile = identity.getTokenFile();
    if (tokenFile != null) {
      b.bearerTokenFile(tokenFile);
    } else {
      String token = Objects.requireNonNull(properties.getConfig().getToken());
      b.bearerToken(() -> token);
    }
    Duration ttl = identity.getTtl();
    if (ttl != null) {
      b.ttl(ttl);
    }
    return b.build();
  }

  private static CertificateListener listener(MeshIdentityStatus status) {
    return new CertificateListener() {
      @Override
      public void onIssued(WorkloadIdentity identity, Instant renewAt) {
        status.onIssued();
      }

      @Override
      public void onFailed(String reason, Duration retryIn) {
        status.onFailed(reason);
      }
    };
  }

  /**
   * The credentials, with the first certificate.
   *
   * @throws WorkloadIdentityException with the config server's message when none came in time
   * @throws InvalidMeshPropertiesException when the certificate is not of {@code
   *     meshclient.identity.trust-domain}
   */
  @Bean
  public MeshCredentials meshCredentials(
      CertificateRenewer renewer, MeshClientProperties properties, ConfigServerChannel channel)
      throws InterruptedException {
    MeshClientProperties.Identity identity = properties.getIdentity();
    MeshCredentials credentials;
    try {
      credentials = renewer.start(identity.getStartTimeout());
    } catch (WorkloadCertificateException e) {
      String tokenSource =
          identity.getTokenFile() != null
              ? "meshclient.identity.token-file=" + identity.getTokenFile()
              : "meshclient.config.token";
      throw new WorkloadIdentityException(
          e.getMessage(), e.status() == null ? null : e.status().getCode().name(), tokenSource, e);
    }
    String trustDomain = identity.getTrustDomain();
    SpiffeId id = Objects.requireNonNull(credentials.identity()).id();
    if (trustDomain != null && !trustDomain.equals(id.trustDomain())) {
      renewer.close();
      throw new InvalidMeshPropertiesException(
          List.of(
              new PropertyProblem(
                  "meshclient.identity.trust-domain",
                  trustDomain,
                  "the trust domain of the certificate the config server issues: it issued "
                      + id + ", of " + id.trustDomain())));
    }
    channel.followTrustOf(credentials); // the config port's certificate follows root rotations too
    return credentials;
  }
}
