package io.meshclient.spring.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshclient.Mesh;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.spring.MeshIdempotent;
import io.meshclient.spring.MeshTimeout;
import io.meshclient.spring.OkHttpRequestFactory;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.MethodParameter;
import org.springframework.web.service.invoker.HttpRequestValues;

class MethodDefaultsTest {

  @MeshTimeout("2s")
  interface TypeLevel {
    void inherits();

    @MeshTimeout("300ms")
    @MeshIdempotent
    void overrides();
  }

  interface Bad {
    @MeshTimeout("soon")
    void bad();
  }

  interface Plain {
    void plain();
  }

  private static Map<String, Object> attributes(Mesh mesh, Class<?> type, String method)
      throws Exception {
    MethodDefaults d = new MethodDefaults(mesh.service("svc"), List.of(type));
    Method m = type.getMethod(method);
    HttpRequestValues.Builder b = HttpRequestValues.builder();
    d.process(m, new MethodParameter[0], new Object[0], b);
    return b.build().getAttributes();
  }

  @Test
  void methodAnnotationsWinOverTheInterfaces() throws Exception {
    Mesh mesh = Mesh.builder().build();
    assertThat(attributes(mesh, TypeLevel.class, "inherits"))
        .containsEntry(OkHttpRequestFactory.TIMEOUT_ATTRIBUTE, Duration.ofSeconds(2))
        .doesNotContainKey(OkHttpRequestFactory.IDEMPOTENT_ATTRIBUTE);
    assertThat(attributes(mesh, TypeLevel.class, "overrides"))
        .containsEntry(OkHttpRequestFactory.TIMEOUT_ATTRIBUTE, Duration.ofMillis(300))
        .containsEntry(OkHttpRequestFactory.IDEMPOTENT_ATTRIBUTE, Boolean.TRUE);
    assertThat(attributes(mesh, Plain.class, "plain")).isEmpty();
  }

  @Test
  void thePolicysTimeoutTakesPrecedence() throws Exception {
    Mesh mesh =
        Mesh.create(
            MeshPolicy.builder()
                .service(
                    ServicePolicy.builder("svc")
                        .timeout(Duration.ofSeconds(5))
                        .endpoint(EndpointSpec.of("127.0.0.1:1"))
                        .build())
                .build());
    assertThat(attributes(mesh, TypeLevel.class, "overrides"))
        .doesNotContainKey(OkHttpRequestFactory.TIMEOUT_ATTRIBUTE)
        .containsEntry(OkHttpRequestFactory.IDEMPOTENT_ATTRIBUTE, Boolean.TRUE);
  }

  @Test
  void aBadValueFailsWhenTheGroupIsConfiguredNamingTheMethod() {
    Mesh mesh = Mesh.builder().build();
    assertThatThrownBy(() -> new MethodDefaults(mesh.service("svc"), List.of(Bad.class)))
        .hasMessage(
            "@MeshTimeout(\"soon\") on "
                + Bad.class.getName()
                + ".bad: not a positive duration (expected: such as 500ms or 2s)");
  }
}
