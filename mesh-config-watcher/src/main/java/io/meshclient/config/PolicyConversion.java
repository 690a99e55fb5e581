package io.meshclient.config;

import io.meshclient.config.internal.Durations;
import io.meshclient.config.v1.Backoff;
import io.meshclient.config.v1.Budget;
import io.meshclient.config.v1.CircuitBreaker;
import io.meshclient.config.v1.Endpoint;
import io.meshclient.config.v1.LoadBalancer;
import io.meshclient.config.v1.OutlierDetection;
import io.meshclient.config.v1.Retry;
import io.meshclient.policy.BackoffPolicy;
import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.Destination;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.LoadBalancerPolicy;
import io.meshclient.policy.MeshPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.PolicyProblem;
import io.meshclient.policy.PolicyValidationException;
import io.meshclient.policy.RetryBudgetPolicy;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.ServicePolicy;
import io.meshclient.policy.TlsMode;
import java.util.ArrayList;
import java.util.List;

/**
 * The one place where the protobuf schema {@code meshclient/v1} meets the engine's policy model.
 * Files are read into the schema ({@link PolicyFiles}), the wire carries the schema, and both end
 * here. A field that is absent in the schema takes the engine's default.
 *
 * <p>Conversion validates: the model's constructors check the whole policy and throw {@link
 * PolicyValidationException} listing every problem. Values the model cannot represent (an enum
 * value from a newer schema) are reported the same way.
 */
public final class PolicyConversion {

  private PolicyConversion() {}

  /** The engine's policy for {@code p}; throws {@link PolicyValidationException}. */
  public static ServicePolicy toModel(io.meshclient.config.v1.ServicePolicy p) {
    String name = p.getService();
    List<PolicyProblem> problems = new ArrayList<>();
    ServicePolicy.Builder b = ServicePolicy.builder(name).identities(p.getIdentitiesList());
    switch (p.getTls()) {
      case TLS_MODE_UNSPECIFIED:
        break;
      case UNRECOGNIZED:
        problems.add(new PolicyProblem(name + ".tls", "unknown TLS mode number " + p.getTlsValue()
            + " (expected: DISABLE, PERMISSIVE or STRICT; is the server newer than this client?)"));
        break;
      default:
        b.tls(TlsMode.valueOf(p.getTls().name()));
    }
    if (p.hasTimeout()) {
      b.timeout(Durations.fromProto(p.getTimeout()));
    }
    if (p.hasLoadBalancer()) {
      b.loadBalancer(loadBalancer(name, p.getLoadBalancer(), problems));
    }
    if (p.hasRetry()) {
      b.retry(retry(p.getRetry()));
    }
    if (p.hasCircuitBreaker()) {
      b.circuitBreaker(circuitBreaker(p.getCircuitBreaker()));
    }
    if (p.hasOutlierDetection()) {
      b.outlierDetection(outlierDetection(p.getOutlierDetection()));
    }
    for (io.meshclient.config.v1.Route r : p.getRoutesList()) {
      b.route(route(r));
    }
    b.endpoints(endpoints(p.getEndpointsList()));
    ServicePolicy built;
    try {
      built = b.build();
    } catch (PolicyValidationException e) {
      problems.addAll(e.problems());
      throw new PolicyValidationException(problems);
    }
    if (!problems.isEmpty()) {
      throw new PolicyValidationException(problems);
    }
    return built;
  }

  /**
   * A {@link MeshPolicy} of every policy in {@code policies}; throws {@link
   * PolicyValidationException} listing the problems of all of them.
   */
  public static MeshPolicy toMeshPolicy(String version, Iterable<io.meshclient.config.v1.ServicePolicy> policies) {
    MeshPolicy.Builder b = MeshPolicy.builder().version(version);
    List<PolicyProblem> problems = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (io.meshclient.config.v1.ServicePolicy p : policies) {
      if (seen.contains(p.getService())) {
        problems.add(new PolicyProblem(p.getService(), "is defined twice"));
        continue;
      }
      seen.add(p.getService());
      try {
        b.service(toModel(p));
      } catch (PolicyValidationException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyValidationException(problems);
    }
    return b.build();
  }

  /** The engine's form of endpoints (registered or static). */
  public static List<EndpointSpec> endpoints(List<Endpoint> endpoints) {
    List<EndpointSpec> out = new ArrayList<>(endpoints.size());
    for (Endpoint e : endpoints) {
      out.add(new EndpointSpec(e.getAddress(), e.getZone(), e.hasWeight() ? e.getWeight() : 1, e.getLabelsMap()));
    }
    return out;
  }

  /** The wire form of an endpoint. */
  public static Endpoint toProto(EndpointSpec e) {
    return Endpoint.newBuilder()
        .setAddress(e.address())
        .setZone(e.zone())
        .setWeight(e.weight())
        .putAllLabels(e.labels())
        .build();
  }

  private static LoadBalancerPolicy loadBalancer(String name, LoadBalancer lb, List<PolicyProblem> problems) {
    LoadBalancerPolicy.Builder b = LoadBalancerPolicy.builder();
    switch (lb.getAlgorithm()) {
      case LB_ALGORITHM_UNSPECIFIED:
        break;
      case UNRECOGNIZED:
        problems.add(new PolicyProblem(name + ".loadBalancer.algorithm", "unknown algorithm number "
            + lb.getAlgorithmValue() + " (expected: one this client knows; is the server newer than this client?)"));
        break;
      default:
        b.algorithm(LbAlgorithm.valueOf(lb.getAlgorithm().name()));
    }
    if (lb.hasHashHeader()) {
      b.hashHeader(lb.getHashHeader());
    }
    if (lb.hasRingSize()) {
      b.ringSize(lb.getRingSize());
    }
    if (lb.hasEwmaDecay()) {
      b.ewmaDecay(Durations.fromProto(lb.getEwmaDecay()));
    }
    if (lb.hasPreferLocalZone()) {
      b.preferLocalZone(lb.getPreferLocalZone());
    }
    return b.build();
  }

  private static RetryPolicy retry(Retry r) {
    RetryPolicy.Builder b = RetryPolicy.builder();
    if (r.hasMaxAttempts()) {
      b.maxAttempts(r.getMaxAttempts());
    }
    if (r.hasPerTryTimeout()) {
      b.perTryTimeout(Durations.fromProto(r.getPerTryTimeout()));
    }
    if (r.getRetryOnCount() > 0) {
      b.retryOn(r.getRetryOnList());
    }
    if (r.hasBackoff()) {
      Backoff bo = r.getBackoff();
      BackoffPolicy d = BackoffPolicy.DEFAULT;
      b.backoff(BackoffPolicy.of(
          bo.hasBase() ? Durations.fromProto(bo.getBase()) : d.base(),
          bo.hasMax() ? Durations.fromProto(bo.getMax()) : d.max()));
    }
    if (r.hasBudget()) {
      Budget bu = r.getBudget();
      RetryBudgetPolicy d = RetryBudgetPolicy.DEFAULT;
      b.budget(new RetryBudgetPolicy(
          bu.hasRatio() ? bu.getRatio() : d.ratio(),
          bu.hasMinPerSecond() ? bu.getMinPerSecond() : d.minPerSecond(),
          bu.hasWindow() ? Durations.fromProto(bu.getWindow()) : d.window()));
    }
    return b.build();
  }

  private static CircuitBreakerPolicy circuitBreaker(CircuitBreaker c) {
    CircuitBreakerPolicy.Builder b = CircuitBreakerPolicy.builder();
    if (c.hasFailureRateThreshold()) {
      b.failureRateThreshold(c.getFailureRateThreshold());
    }
    if (c.hasWindow()) {
      b.window(c.getWindow());
    }
    if (c.hasMinimumCalls()) {
      b.minimumCalls(c.getMinimumCalls());
    }
    if (c.hasOpenDuration()) {
      b.openDuration(Durations.fromProto(c.getOpenDuration()));
    }
    if (c.hasHalfOpenCalls()) {
      b.halfOpenCalls(c.getHalfOpenCalls());
    }
    if (c.hasMaxConcurrentRequests()) {
      b.maxConcurrentRequests(c.getMaxConcurrentRequests());
    }
    return b.build();
  }

  private static OutlierDetectionPolicy outlierDetection(OutlierDetection o) {
    OutlierDetectionPolicy.Builder b = OutlierDetectionPolicy.builder();
    if (o.hasConsecutiveFailures()) {
      b.consecutiveFailures(o.getConsecutiveFailures());
    }
    if (o.hasBaseEjectionTime()) {
      b.baseEjectionTime(Durations.fromProto(o.getBaseEjectionTime()));
    }
    if (o.hasMaxEjectionTime()) {
      b.maxEjectionTime(Durations.fromProto(o.getMaxEjectionTime()));
    }
    if (o.hasMaxEjectionPercent()) {
      b.maxEjectionPercent(o.getMaxEjectionPercent());
    }
    if (o.hasPanicThresholdPercent()) {
      b.panicThresholdPercent(o.getPanicThresholdPercent());
    }
    return b.build();
  }

  private static Route route(io.meshclient.config.v1.Route r) {
    io.meshclient.config.v1.RouteMatch m = r.getMatch();
    RouteMatch match = new RouteMatch(
        m.hasPath() ? m.getPath() : null,
        m.hasPathPrefix() ? m.getPathPrefix() : null,
        m.hasPathRegex() ? m.getPathRegex() : null,
        m.getMethodsList(),
        m.getHeadersMap());
    List<Destination> to = new ArrayList<>(r.getToCount());
    for (io.meshclient.config.v1.Destination d : r.getToList()) {
      to.add(new Destination(d.getSubsetMap(), d.hasWeight() ? d.getWeight() : 100));
    }
    return new Route(r.hasName() ? r.getName() : null, match, to, r.getIdempotent());
  }
}
