package io.meshclient.spring;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.meshclient.Mesh;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.service.HttpServiceClientPropertiesAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.service.HttpServiceClientAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.client.support.RestClientHttpServiceGroupConfigurer;
import org.springframework.web.service.annotation.GetExchange;
import org.springframework.web.service.registry.ImportHttpServices;

/**
 * Plain Framework 7 HTTP service groups with Boot's own group configurers: a mesh group keeps
 * users' configurers and Boot's {@code spring.http.serviceclient.*} properties working.
 */
class MeshHttpServiceGroupsTest {

  static final WireMockServer backend = new WireMockServer(options().dynamicPort());

  @BeforeAll
  static void start() {
    backend.start();
    backend.stubFor(get("/items").willReturn(aResponse().withBody("items")));
  }

  @AfterAll
  static void stop() {
    backend.stop();
  }

  public interface CatalogApi {
    @GetExchange("/items")
    String items();
  }

  @Configuration(proxyBeanMethods = false)
  @ImportHttpServices(group = "catalog", types = CatalogApi.class)
  static class Catalog {

    @Bean
    MeshPolicy policy() {
      return MeshPolicy.builder()
          .service(
              ServicePolicy.builder("catalog")
                  .endpoint(EndpointSpec.of("127.0.0.1:" + backend.port()))
                  .build())
          .build();
    }

    /** A user's configurer: runs after the mesh's (default order), and both apply. */
    @Bean
    RestClientHttpServiceGroupConfigurer teamHeader() {
      return groups -> groups.forEachClient((g, b) -> b.defaultHeader("x-team", "shop"));
    }
  }

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  MeshAutoConfiguration.class,
                  MeshHttpAutoConfiguration.class,
                  HttpServiceClientPropertiesAutoConfiguration.class,
                  HttpServiceClientAutoConfiguration.class))
          .withUserConfiguration(Catalog.class);

  @Test
  void aGroupNamedInThePropertiesGoesThroughTheMeshWithUsersConfigurersApplied() {
    backend.resetRequests();
    runner
        .withPropertyValues("meshclient.http.groups=catalog")
        .run(
            ctx -> {
              assertThat(ctx.getBean(CatalogApi.class).items()).isEqualTo("items");
              assertThat(ctx.getBean(Mesh.class).service("catalog").stats().requests())
                  .isEqualTo(1);
              backend.verify(
                  getRequestedFor(urlEqualTo("/items"))
                      .withHeader("x-team", equalTo("shop"))
                      .withHeader("Host", equalTo("catalog")));
            });
  }

  @Test
  void bootsBaseUrlPropertyIsKept() {
    backend.resetRequests();
    runner
        .withPropertyValues(
            "meshclient.http.groups=catalog",
            "spring.http.serviceclient.catalog.base-url=http://127.0.0.1:" + backend.port())
        .run(
            ctx -> {
              assertThat(ctx.getBean(CatalogApi.class).items()).isEqualTo("items");
              // Not a mesh service name: the mesh client passed it through.
              assertThat(ctx.getBean(Mesh.class).service("catalog").stats().requests()).isZero();
            });
  }

  @Test
  void aGroupNotInTheMeshIsLeftAlone() {
    runner.run(
        ctx -> {
          assertThat(ctx).hasSingleBean(CatalogApi.class);
          assertThat(ctx.getBean(Mesh.class).service("catalog").stats().requests()).isZero();
        });
  }
}
