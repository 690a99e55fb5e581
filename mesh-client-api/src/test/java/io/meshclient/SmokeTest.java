package io.meshclient;

import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.ServicePolicy;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmokeTest {
  record Req(String method, String path, Map<String, String> headers) {}

  static final RequestReader<Req> READER =
      new RequestReader<>() {
        @Override
        public String method(Req r) {
          return r.method();
        }

        @Override
        public String path(Req r) {
          return r.path();
        }

        @Override
        public String header(Req r, String name) {
          return r.headers().get(name);
        }
      };

  @Test
  void routesPicksAndRetriesOnAnotherEndpoint() {
    Mesh mesh =
        Mesh.create(
            MeshPolicy.builder()
                .version("v1")
                .service(
                    ServicePolicy.builder("orders")
                        .endpoint(EndpointSpec.of("127.0.0.1:1001"))
                        .endpoint(EndpointSpec.of("127.0.0.1:1002"))
                        .build())
                .build());
    MeshCall call = mesh.service("orders").newCall();
    assertThat(call.start(new Req("GET", "/x", Map.of()), READER)).isTrue();
    int a0 = call.startAttempt();
    Endpoint first = call.endpoint(a0);
    assertThat(first.inFlight()).isEqualTo(1);
    assertThat(call.onResponse(a0, 503)).isEqualTo(RetryDecision.RETRY);
    int a1 = call.startAttempt();
    assertThat(call.endpoint(a1)).isNotSameAs(first);
    assertThat(call.onResponse(a1, 200)).isEqualTo(RetryDecision.DONE);
    call.finish();
    assertThat(first.inFlight()).isZero();
  }
}
