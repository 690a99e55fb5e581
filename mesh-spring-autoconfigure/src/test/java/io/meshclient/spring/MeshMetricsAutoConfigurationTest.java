package io.meshclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.Mesh;
import io.meshclient.MeshCall;
import io.meshclient.RequestReader;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

class MeshMetricsAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  MeshAutoConfiguration.class,
                  MeshMetricsAutoConfiguration.class,
                  MetricsAutoConfiguration.class,
                  SimpleMetricsExportAutoConfiguration.class))
          .withBean(MeshPolicy.class, MeshAutoConfigurationTest::ordersPolicy);

  enum Reader implements RequestReader<String> {
    INSTANCE;

    @Override
    public String method(String request) {
      return "GET";
    }

    @Override
    public String path(String request) {
      return request;
    }

    @Override
    public String header(String request, String lowerCaseName) {
      return null;
    }
  }

  /** One successful call, driven through the engine as an adapter would. */
  static void call(Mesh mesh, String service) {
    MeshCall call = mesh.service(service).newCall();
    assertThat(call.start("/x", Reader.INSTANCE)).isTrue();
    try {
      int attempt = call.startAttempt();
      call.onResponse(attempt, 200);
    } finally {
      call.finish();
    }
  }

  @Test
  void serviceCountersAndEndpointGaugesInTheApplicationsRegistry() {
    runner.run(
        ctx -> {
          Mesh mesh = ctx.getBean(Mesh.class);
          MeterRegistry registry = ctx.getBean(MeterRegistry.class);
          call(mesh, "orders");
          call(mesh, "orders");
          assertThat(registry.get("meshclient.requests").tag("service", "orders").functionCounter().count())
              .isEqualTo(2);
          assertThat(registry.get("meshclient.retries").tag("service", "orders").functionCounter().count())
              .isZero();
          assertThat(
                  registry.get("meshclient.endpoints")
                      .tags("service", "orders", "state", "available")
                      .gauge()
                      .value())
              .isEqualTo(1);
          assertThat(registry.get("meshclient.policy.applied").functionCounter().count()).isEqualTo(1);

          // A service that arrives with a later policy gets its meters then.
          mesh.update(
              mesh.policy().toBuilder()
                  .version("v8")
                  .service(
                      ServicePolicy.builder("payments").endpoint(EndpointSpec.of("127.0.0.1:2")).build())
                  .build());
          call(mesh, "payments");
          assertThat(registry.get("meshclient.requests").tag("service", "payments").functionCounter().count())
              .isEqualTo(1);
          assertThat(registry.get("meshclient.policy.applied").functionCounter().count()).isEqualTo(2);
        });
  }

  @Test
  void bindsToTheApplicationsOwnRegistry() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    runner
        .withBean("myRegistry", MeterRegistry.class, () -> registry)
        .run(
            ctx ->
                assertThat(
                        registry.find("meshclient.requests").tag("service", "orders").functionCounter())
                    .isNotNull());
  }

  @Test
  void nothingWithoutMicrometer() {
    runner
        .withClassLoader(new FilteredClassLoader(MeterBinder.class))
        .run(ctx -> assertThat(ctx).hasSingleBean(Mesh.class).doesNotHaveBean(MeshMeterBinder.class));
  }
}
