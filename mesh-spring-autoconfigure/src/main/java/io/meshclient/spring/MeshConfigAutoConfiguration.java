package io.meshclient.spring;

import io.meshclient.Mesh;
import io.meshclient.config.CertificateRenewer;
import io.meshclient.config.FilePolicySource;
import io.meshclient.config.MeshConfigWatcher;
import io.meshclient.config.NodeIdentity;
import io.meshclient.spring.internal.ConfigServerChannel;
import io.meshclient.spring.internal.InvalidMeshPropertiesException;
import io.meshclient.spring.internal.MeshClientScanner;
import io.meshclient.spring.internal.PropertyProblem;
import io.meshclient.spring.internal.SourceStatus;
import io.meshclient.spring.internal.WatcherRunner;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;

/**
 * Connects the {@link Mesh} to its policy source: the config server ({@code
 * meshclient.config.server-address}, through a {@link MeshConfigWatcher}) or a directory of
 * policy files ({@code meshclient.config.policy-directory}, through a {@link FilePolicySource}).
 * Runs before {@link MeshAutoConfiguration} so that its {@link MeshConfigStatus} replaces the
 * static one.
 */
@AutoConfiguration(before = MeshAutoConfiguration.class)
@ConditionalOnClass(MeshConfigWatcher.class)
@ConditionalOnBooleanProperty(name = "meshclient.enabled", matchIfMissing = true)
@EnableConfigurationProperties(MeshClientProperties.class)
public final class MeshConfigAutoConfiguration {

  private static final String WEB_SERVER_CONTEXT =
      "org.springframework.boot.web.server.context.WebServerApplicationContext";

  /** Policy from the config server. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty("meshclient.config.server-address")
  static class ServerConfiguration {

    @Bean
    @ConditionalOnMissingBean(MeshConfigStatus.class)
    SourceStatus meshConfigStatus(MeshClientProperties properties) {
      return SourceStatus.server(
          Objects.requireNonNull(properties.getConfig().getServerAddress()), Clock.systemUTC());
    }

    /** Shared by the watcher and the certificate renewer. */
    @Bean
    @ConditionalOnMissingBean
    ConfigServerChannel meshConfigServerChannel(MeshClientProperties properties) {
      MeshClientProperties.Config c = properties.getConfig();
      return new ConfigServerChannel(
          Objects.requireNonNull(c.getServerAddress()), c.isPlaintext(), c.getTrustBundle());
    }

    @Bean
    @ConditionalOnMissingBean
    WatcherRunner meshConfigWatcherRunner(
        Mesh mesh,
        MeshClientProperties properties,
        ConfigServerChannel channel,
        ObjectProvider<CertificateRenewer> renewer,
        ObjectProvider<SourceStatus> status,
        Environment environment,
        ApplicationContext context,
        ResourceLoader resourceLoader) {
      MeshClientProperties.Config c = properties.getConfig();
      MeshClientProperties.Registration r = properties.getRegistration();
      NodeIdentity node = node(properties, environment);
      List<PropertyProblem> problems = new ArrayList<>();
      if (r.isEnabled() && node.service().isEmpty()) {
        problems.add(
            new PropertyProblem(
                "meshclient.node.service",
                "(not set, nor spring.application.name)",
                "the service this application serves: meshclient.registration.enabled=true"
                    + " registers it as an instance of that service"));
      }
      if (r.isEnabled() && r.getPort() == null && !runsWebServer(context)) {
        problems.add(
            new PropertyProblem(
                "meshclient.registration.port",
                "(not set)",
                "the port to register: this application runs no embedded web server whose port"
                    + " could be used"));
      }
      if (!problems.isEmpty()) {
        throw new InvalidMeshPropertiesException(problems);
      }
      String address = Objects.requireNonNull(c.getServerAddress());
      Set<String> services = new TreeSet<>(c.getServices());
      services.addAll(properties.getHttp().getGroups());
      services.addAll(MeshClientScanner.scan(context, environment, resourceLoader).values());
      return new WatcherRunner(
          mesh,
          new WatcherRunner.Settings(
              c.getToken(),
              node,
              services,
              c.getCacheDirectory(),
              r.isEnabled(),
              r.getHost(),
              r.getPort()),
          status.getIfAvailable(() -> SourceStatus.server(address, Clock.systemUTC())),
          channel.channel(),
          // The server's bundle is the one to trust only when it issued the certificate: not for
          // an application's own credentials (from another CA).
          () -> {
            CertificateRenewer issuer = renewer.getIfAvailable();
            return issuer == null ? null : issuer.credentials();
          });
    }

    /** Whether an embedded web server will report its port (spring-boot-web-server is optional). */
    private static boolean runsWebServer(ApplicationContext context) {
      ClassLoader cl = MeshConfigAutoConfiguration.class.getClassLoader();
      if (!ClassUtils.isPresent(WEB_SERVER_CONTEXT, cl)) {
        return false;
      }
      return ClassUtils.resolveClassName(WEB_SERVER_CONTEXT, cl).isInstance(context);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(WebServerInitializedEvent.class)
    static class WebServerPort {

      @Bean
      ApplicationListener<WebServerInitializedEvent> meshRegistrationPortListener(
          WatcherRunner runner) {
        return event -> {
          // The management server (a child context) has its own event: register the main port.
          if (event.getApplicationContext().getParent() == null) {
            runner.webServerStarted(event.getWebServer().getPort());
          }
        };
      }
    }
  }

  /** Policy from a directory of files. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty("meshclient.config.policy-directory")
  static class DirectoryConfiguration {

    @Bean
    @ConditionalOnMissingBean(MeshConfigStatus.class)
    SourceStatus meshConfigStatus(MeshClientProperties properties) {
      return SourceStatus.directory(
          Objects.requireNonNull(properties.getConfig().getPolicyDirectory()), Clock.systemUTC());
    }

    /** Started when created, so the files' policy is in force before any client bean calls out. */
    @Bean(initMethod = "start", destroyMethod = "close")
    @ConditionalOnMissingBean
    FilePolicySource meshFilePolicySource(
        Mesh mesh, MeshClientProperties properties, ObjectProvider<SourceStatus> status) {
      Path dir = Objects.requireNonNull(properties.getConfig().getPolicyDirectory());
      return FilePolicySource.builder()
          .directory(dir)
          .mesh(mesh)
          .listener(status.getIfAvailable(() -> SourceStatus.directory(dir, Clock.systemUTC())))
          .build();
    }
  }

  static NodeIdentity node(MeshClientProperties properties, Environment environment) {
    MeshClientProperties.Node n = properties.getNode();
    String service = n.getService();
    if (service == null) {
      service = environment.getProperty("spring.application.name", "");
    }
    String id =
        (service.isEmpty() ? "app" : service)
            + "-"
            + Long.toHexString(ProcessHandle.current().pid())
            + "-"
            + Long.toHexString(System.nanoTime() & 0xffffff);
    return new NodeIdentity(id, service, n.getZone(), n.getLabels());
  }
}
