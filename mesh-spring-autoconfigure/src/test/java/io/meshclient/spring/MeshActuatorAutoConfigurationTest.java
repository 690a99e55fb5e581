package io.meshclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.Mesh;
import io.meshclient.policy.MeshPolicy;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class MeshActuatorAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  MeshAutoConfiguration.class,
                  MeshEndpointAutoConfiguration.class,
                  MeshHealthAutoConfiguration.class))
          .withBean(MeshPolicy.class, MeshAutoConfigurationTest::ordersPolicy);

  @Test
  void endpointOnlyWhenExposed() {
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean(MeshEndpoint.class));
    runner
        .withPropertyValues("management.endpoints.web.exposure.include=mesh")
        .run(ctx -> assertThat(ctx).hasSingleBean(MeshEndpoint.class));
  }

  @Test
  void endpointDescribesServicesAndEndpoints() {
    runner
        .withPropertyValues("management.endpoints.web.exposure.include=mesh")
        .run(
            ctx -> {
              MeshEndpoint.MeshDescriptor d = ctx.getBean(MeshEndpoint.class).mesh();
              assertThat(d.policyVersion()).isEqualTo("v7");
              assertThat(d.config().state()).isEqualTo("STATIC");
              assertThat(d.services()).containsOnlyKeys("orders");
              MeshEndpoint.EndpointDescriptor e = d.services().get("orders").endpoints().get(0);
              assertThat(e.address()).isEqualTo("127.0.0.1:1");
              assertThat(e.breaker()).isEqualTo("CLOSED");
              assertThat(e.ejected()).isFalse();
              assertThat(ctx.getBean(MeshEndpoint.class).service("nope")).isNull();
            });
  }

  @Test
  void noEndpointWithoutActuator() {
    runner
        .withPropertyValues("management.endpoints.web.exposure.include=mesh")
        .withClassLoader(new FilteredClassLoader(Endpoint.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(MeshEndpoint.class));
  }

  @Test
  void healthUpWithStaticPolicy() {
    runner.run(
        ctx -> {
          var health = ctx.getBean(MeshHealthIndicator.class).health();
          assertThat(health.getStatus()).isEqualTo(Status.UP);
          assertThat(health.getDetails())
              .containsEntry("config", "STATIC")
              .containsEntry("policyVersion", "v7")
              .containsEntry("ejectedEndpoints", 0);
        });
  }

  @Test
  void healthOutOfServiceWhileWaitingForTheFirstPolicy() {
    MeshConfigStatus connecting =
        new MeshConfigStatus() {
          @Override
          public State state() {
            return State.CONNECTING;
          }

          @Override
          public String source() {
            return "server x:1";
          }

          @Override
          public String lastError() {
            return "refused";
          }
        };
    runner
        .withBean(MeshConfigStatus.class, () -> connecting)
        .run(
            ctx -> {
              var health = ctx.getBean(MeshHealthIndicator.class).health();
              assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
              assertThat(health.getDetails()).containsEntry("lastConfigError", "refused");
            });
  }

  @Test
  void healthCanBeDisabledOrReplaced() {
    runner
        .withPropertyValues("management.health.mesh.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(MeshHealthIndicator.class));
    HealthIndicator own = () -> org.springframework.boot.health.contributor.Health.down().build();
    runner
        .withBean("meshHealthIndicator", HealthIndicator.class, () -> own)
        .run(ctx -> assertThat(ctx).doesNotHaveBean(MeshHealthIndicator.class));
  }

  @Test
  void noHealthWithoutSpringBootHealth() {
    runner
        .withClassLoader(new FilteredClassLoader(HealthIndicator.class))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(MeshHealthIndicator.class));
  }

  @Test
  void nothingWithoutMesh() {
    runner
        .withPropertyValues("meshclient.enabled=false", "management.endpoints.web.exposure.include=mesh")
        .run(
            ctx ->
                assertThat(ctx)
                    .doesNotHaveBean(Mesh.class)
                    .doesNotHaveBean(MeshEndpoint.class)
                    .doesNotHaveBean(MeshHealthIndicator.class));
  }
}
