package io.meshclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.Mesh;
import io.meshclient.MeshListener;
import io.meshclient.RandomSource;
import io.meshclient.Ticker;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.spring.internal.InvalidMeshPropertiesException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class MeshAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(MeshAutoConfiguration.class));

  static MeshPolicy ordersPolicy() {
    return MeshPolicy.builder()
        .version("v7")
        .service(ServicePolicy.builder("orders").endpoint(EndpointSpec.of("127.0.0.1:1")).build())
        .build();
  }

  @Test
  void createsMeshWithStaticConfigStatus() {
    runner.run(
        ctx -> {
          assertThat(ctx).hasSingleBean(Mesh.class).hasSingleBean(MeshClientProperties.class);
          assertThat(ctx.getBean(MeshConfigStatus.class).state())
              .isEqualTo(MeshConfigStatus.State.STATIC);
          assertThat(ctx.getBean(Mesh.class).policy()).isEqualTo(MeshPolicy.EMPTY);
        });
  }

  @Test
  void disabledByProperty() {
    runner
        .withPropertyValues("meshclient.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(Mesh.class));
  }

  @Test
  void backsOffWithoutTheEngineOnTheClasspath() {
    runner
        .withClassLoader(new FilteredClassLoader(Mesh.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(MeshClientProperties.class));
  }

  @Test
  void usersMeshBeanWins() {
    Mesh own = Mesh.builder().build();
    runner
        .withBean("myMesh", Mesh.class, () -> own)
        .run(ctx -> assertThat(ctx).getBean(Mesh.class).isSameAs(own));
  }

  @Test
  void usersConfigStatusWins() {
    MeshConfigStatus own = MeshConfigStatus.fixed();
    runner
        .withBean("myStatus", MeshConfigStatus.class, () -> own)
        .run(ctx -> assertThat(ctx).getBean(MeshConfigStatus.class).isSameAs(own));
  }

  @Test
  void tickerRandomListenersCustomizersAndPolicyBeansAreApplied() {
    runner
        .withUserConfiguration(Overrides.class)
        .withPropertyValues("meshclient.node.zone=eu-1a")
        .run(
            ctx -> {
              Mesh mesh = ctx.getBean(Mesh.class);
              Overrides o = ctx.getBean(Overrides.class);
              assertThat(mesh.ticker()).isSameAs(o.ticker);
              assertThat(mesh.localZone()).isEqualTo("eu-1a-customized");
              assertThat(mesh.policy().version()).isEqualTo("v7");
              assertThat(mesh.knows("orders")).isTrue();
              assertThat(o.applied).containsExactly("v7");
            });
  }

  @Test
  void badPropertiesFailStartupListingEveryProblem() {
    runner
        .withPropertyValues(
            "meshclient.config.server-address=localhost",
            "meshclient.node.service=Orders_Service",
            "meshclient.registration.port=70000")
        .run(
            ctx -> {
              assertThat(ctx).hasFailed();
              Throwable root = ctx.getStartupFailure();
              while (!(root instanceof InvalidMeshPropertiesException) && root.getCause() != null) {
                root = root.getCause();
              }
              assertThat(root)
                  .isInstanceOf(InvalidMeshPropertiesException.class)
                  .hasMessageContaining(
                      "meshclient.config.server-address: localhost (expected: host:port")
                  .hasMessageContaining("meshclient.node.service: Orders_Service (expected:")
                  .hasMessageContaining("meshclient.registration.port: 70000 (expected: a port in 1..65535)");
            });
  }

  @Test
  void tokenWithoutServerAndIdentityWithoutServerAreRejected() {
    runner
        .withPropertyValues("meshclient.config.token=s3cret", "meshclient.identity.enabled=true")
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("meshclient.config.token: (set) (expected:")
                    .hasMessageNotContaining("s3cret")
                    .hasMessageContaining("meshclient.identity.enabled: true (expected: false, or"));
  }

  @Test
  void cacheDirectoryOnlyWithAServer() {
    runner
        .withPropertyValues("meshclient.config.cache-directory=/tmp/mesh-cache")
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "meshclient.config.cache-directory: /tmp/mesh-cache (expected: set only"
                            + " together with meshclient.config.server-address"));
  }

  @Test
  void identityNeedsABootstrapToken() {
    runner
        .withPropertyValues(
            "meshclient.config.server-address=mesh-config:7070", "meshclient.identity.enabled=true")
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "meshclient.identity.token-file: (not set, nor meshclient.config.token)"
                            + " (expected: the bootstrap token"));
  }

  @Test
  void policyDirectoryMustExist() {
    runner
        .withPropertyValues("meshclient.config.policy-directory=/no/such/dir")
        .run(
            ctx ->
                assertThat(ctx)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "meshclient.config.policy-directory: /no/such/dir (expected: an existing"
                            + " directory of policy files"));
  }

  @Configuration(proxyBeanMethods = false)
  static class Overrides {
    final AtomicLong now = new AtomicLong();
    final Ticker ticker = now::get;
    final List<String> applied = new ArrayList<>();

    @Bean
    Ticker ticker() {
      return ticker;
    }

    @Bean
    RandomSource random() {
      return RandomSource.seeded(1);
    }

    @Bean
    MeshListener recording() {
      return new MeshListener() {
        @Override
        public void onPolicyApplied(MeshPolicy policy) {
          applied.add(policy.version());
        }
      };
    }

    @Bean
    MeshBuilderCustomizer zoneSuffix(MeshClientProperties properties) {
      return b -> b.localZone(properties.getNode().getZone() + "-customized");
    }

    @Bean
    MeshPolicy policy() {
      return ordersPolicy();
    }
  }
}
