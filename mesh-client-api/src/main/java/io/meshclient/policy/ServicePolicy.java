package io.meshclient.policy;

import io.meshclient.internal.policy.PolicyValidator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything that governs calls to one logical service. Construction validates the whole policy
 * and throws {@link PolicyValidationException} listing every problem, so an instance is always
 * valid.
 *
 * @param name the logical service name, as callers address it ({@code http://orders/...})
 * @param identities the SPIFFE IDs allowed to serve this service (the mTLS peer check)
 * @param tls whether calls use mutual TLS
 * @param timeout the limit for the whole call, all attempts included; {@link Duration#ZERO} for none
 * @param loadBalancer how endpoints are chosen
 * @param retry when attempts are retried
 * @param circuitBreaker admission: concurrency limit and failure-rate breaker
 * @param outlierDetection ejection of failing endpoints
 * @param routes the routing table, first match wins; empty for "all endpoints"
 * @param endpoints static endpoints; empty to use the instances registered for the service
 */
public record ServicePolicy(
    String name,
    List<String> identities,
    TlsMode tls,
    Duration timeout,
    LoadBalancerPolicy loadBalancer,
    RetryPolicy retry,
    CircuitBreakerPolicy circuitBreaker,
    OutlierDetectionPolicy outlierDetection,
    List<Route> routes,
    List<EndpointSpec> endpoints) {

  public ServicePolicy {
    Objects.requireNonNull(name, "name");
    identities = List.copyOf(identities);
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(loadBalancer, "loadBalancer");
    Objects.requireNonNull(retry, "retry");
    Objects.requireNonNull(circuitBreaker, "circuitBreaker");
    Objects.requireNonNull(outlierDetection, "outlierDetection");
    routes = List.copyOf(routes);
    endpoints = List.copyOf(endpoints);
    List<PolicyProblem> problems =
        PolicyValidator.validate(
            name,
            identities,
            tls,
            timeout,
            loadBalancer,
            retry,
            circuitBreaker,
            outlierDetection,
            routes,
            endpoints);
    if (!problems.isEmpty()) {
      throw new PolicyValidationException(problems);
    }
  }

  /** A builder for the service {@code name}, every other field at its default. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  public Builder toBuilder() {
    return new Builder(name)
        .identities(identities)
        .tls(tls)
        .timeout(timeout)
        .loadBalancer(loadBalancer)
        .retry(retry)
        .circuitBreaker(circuitBreaker)
        .outlierDetection(outlierDetection)
        .routes(routes)
        .endpoints(endpoints);
  }

  /** Builds a {@link ServicePolicy}; {@link #build()} validates. */
  public static final class Builder {
    private String name;
    private List<String> identities = List.of();
    private TlsMode tls = TlsMode.DISABLE;
    private Duration timeout = Duration.ZERO;
    private LoadBalancerPolicy loadBalancer = LoadBalancerPolicy.DEFAULT;
    private RetryPolicy retry = RetryPolicy.DEFAULT;
    private CircuitBreakerPolicy circuitBreaker = CircuitBreakerPolicy.DEFAULT;
    private OutlierDetectionPolicy outlierDetection = OutlierDetectionPolicy.DEFAULT;
    private List<Route> routes = new ArrayList<>();
    private List<EndpointSpec> endpoints = new ArrayList<>();

    private Builder(String name) {
      this.name = Objects.requireNonNull(name, "name");
    }

    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    public Builder identities(List<String> identities) {
      this.identities = List.copyOf(identities);
      return this;
    }

    public Builder tls(TlsMode tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    public Builder timeout(Duration timeout) {
      this.timeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    public Builder loadBalancer(LoadBalancerPolicy loadBalancer) {
      this.loadBalancer = Objects.requireNonNull(loadBalancer, "loadBalancer");
      return this;
    }

    public Builder loadBalancer(LbAlgorithm algorithm) {
      return loadBalancer(LoadBalancerPolicy.builder().algorithm(algorithm).build());
    }

    public Builder retry(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    public Builder circuitBreaker(CircuitBreakerPolicy circuitBreaker) {
      this.circuitBreaker = Objects.requireNonNull(circuitBreaker, "circuitBreaker");
      return this;
    }

    public Builder outlierDetection(OutlierDetectionPolicy outlierDetection) {
      this.outlierDetection = Objects.requireNonNull(outlierDetection, "outlierDetection");
      return this;
    }

    public Builder routes(List<Route> routes) {
      this.routes = new ArrayList<>(routes);
      return this;
    }

    public Builder route(Route route) {
      this.routes.add(Objects.requireNonNull(route, "route"));
      return this;
    }

    public Builder endpoints(List<EndpointSpec> endpoints) {
      this.endpoints = new ArrayList<>(endpoints);
      return this;
    }

    public Builder endpoint(EndpointSpec endpoint) {
      this.endpoints.add(Objects.requireNonNull(endpoint, "endpoint"));
      return this;
    }

    /** Validates and builds. @throws PolicyValidationException listing every problem */
    public ServicePolicy build() {
      return new ServicePolicy(
          name,
          identities,
          tls,
          timeout,
          loadBalancer,
          retry,
          circuitBreaker,
          outlierDetection,
          routes,
          endpoints);
    }
  }
}
