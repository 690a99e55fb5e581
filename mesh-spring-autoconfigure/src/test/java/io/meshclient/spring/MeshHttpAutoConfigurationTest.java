package io.meshclient.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.http.MeshHttp;
import io.meshclient.spring.internal.MeshHttpServiceGroupConfigurer;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.web.client.RestClient;

class MeshHttpAutoConfigurationTest {

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(MeshAutoConfiguration.class, MeshHttpAutoConfiguration.class));

  @Test
  void meshOkHttpClientRequestFactoryAndGroupConfigurer() {
    runner.run(
        ctx -> {
          assertThat(ctx).hasBean(MeshHttpAutoConfiguration.CLIENT_BEAN);
          assertThat(ctx).hasSingleBean(OkHttpRequestFactory.class);
          assertThat(ctx).hasSingleBean(MeshHttpServiceGroupConfigurer.class);
          assertThat(ctx.getBean(OkHttpRequestFactory.class).client())
              .isSameAs(ctx.getBean(MeshHttpAutoConfiguration.CLIENT_BEAN));
          // the mesh interceptor comes first among the application interceptors
          OkHttpClient client = ctx.getBean(MeshHttpAutoConfiguration.CLIENT_BEAN, OkHttpClient.class);
          assertThat(client.interceptors()).isNotEmpty();
        });
  }

  @Test
  void theClientIsReleasedWithTheContext() {
    OkHttpClient[] kept = new OkHttpClient[1];
    runner.run(
        ctx -> kept[0] = ctx.getBean(MeshHttpAutoConfiguration.CLIENT_BEAN, OkHttpClient.class));
    assertThat(kept[0].dispatcher().executorService().isShutdown()).isTrue();
  }

  @Test
  void usersClientBeanWins() {
    OkHttpClient own = new OkHttpClient();
    runner
        .withBean(MeshHttpAutoConfiguration.CLIENT_BEAN, OkHttpClient.class, () -> own)
        .run(ctx -> assertThat(ctx.getBean(OkHttpRequestFactory.class).client()).isSameAs(own));
  }

  @Test
  void usersRequestFactoryWins() {
    OkHttpRequestFactory own = new OkHttpRequestFactory(new OkHttpClient());
    runner
        .withBean("myFactory", OkHttpRequestFactory.class, () -> own)
        .run(ctx -> assertThat(ctx).getBean(OkHttpRequestFactory.class).isSameAs(own));
  }

  @Test
  void backsOffWithoutTheOkHttpAdapter() {
    runner
        .withClassLoader(new FilteredClassLoader(MeshHttp.class))
        .run(
            ctx ->
                assertThat(ctx)
                    .doesNotHaveBean(MeshHttpAutoConfiguration.CLIENT_BEAN)
                    .doesNotHaveBean(OkHttpRequestFactory.class));
  }

  @Test
  void noServiceGroupsWithoutSpringWeb() {
    runner
        .withClassLoader(new FilteredClassLoader(RestClient.class))
        .run(
            ctx ->
                assertThat(ctx)
                    .hasBean(MeshHttpAutoConfiguration.CLIENT_BEAN)
                    .doesNotHaveBean(MeshHttpServiceGroupConfigurer.class));
  }

  @Test
  void disabledByProperty() {
    runner
        .withPropertyValues("meshclient.enabled=false")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(MeshHttpAutoConfiguration.CLIENT_BEAN));
  }
}
