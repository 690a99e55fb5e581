package io.meshclient.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.meshclient.config.v1.LoadBalancer;
import io.meshclient.config.v1.ServicePolicy;
import io.meshclient.policy.PolicyProblem;
import io.meshclient.policy.PolicyValidationException;
import io.meshclient.policy.RetryPolicy;
import org.junit.jupiter.api.Test;

class PolicyConversionTest {

  @Test
  void absentFieldsTakeTheEngineDefaults() {
    io.meshclient.policy.ServicePolicy p = PolicyConversion.toModel(ServicePolicy.newBuilder().setService("orders").build());
    assertThat(p).isEqualTo(io.meshclient.policy.ServicePolicy.builder("orders").build());
    assertThat(p.retry()).isEqualTo(RetryPolicy.DEFAULT);
  }

  @Test
  void anEnumValueFromANewerSchemaIsAProblemListedWithTheOthers() {
    ServicePolicy wire = ServicePolicy.newBuilder().setService("orders").setTlsValue(42)
        .setLoadBalancer(LoadBalancer.newBuilder().setAlgorithmValue(17))
        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(-1))
        .build();
    assertThatThrownBy(() -> PolicyConversion.toModel(wire))
        .isInstanceOfSatisfying(PolicyValidationException.class, e -> assertThat(e.problems())
            .extracting(PolicyProblem::path)
            .containsExactlyInAnyOrder("orders.tls", "orders.loadBalancer.algorithm", "orders.timeout"))
        .hasMessageContaining("unknown TLS mode number 42")
        .hasMessageContaining("is the server newer than this client?");
  }

  @Test
  void aMeshPolicyListsTheProblemsOfEveryService() {
    assertThatThrownBy(() -> PolicyConversion.toMeshPolicy("v1", java.util.List.of(
            ServicePolicy.newBuilder().setService("a").setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(-1)).build(),
            ServicePolicy.newBuilder().setService("B").build(),
            ServicePolicy.newBuilder().setService("a").build())))
        .isInstanceOfSatisfying(PolicyValidationException.class, e -> assertThat(e.problems())
            .extracting(PolicyProblem::toString)
            .anySatisfy(s -> assertThat(s).startsWith("a.timeout"))
            .anySatisfy(s -> assertThat(s).contains("invalid service name 'B'"))
            .anySatisfy(s -> assertThat(s).isEqualTo("a: is defined twice")));
  }
}
