package io.meshclient.internal.policy;

import io.meshclient.policy.CircuitBreakerPolicy;
import io.meshclient.policy.Destination;
import io.meshclient.policy.EndpointSpec;
import io.meshclient.policy.LbAlgorithm;
import io.meshclient.policy.LoadBalancerPolicy;
import io.meshclient.policy.OutlierDetectionPolicy;
import io.meshclient.policy.PolicyProblem;
import io.meshclient.policy.RetryPolicy;
import io.meshclient.policy.Route;
import io.meshclient.policy.RouteMatch;
import io.meshclient.policy.TlsMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks a whole service policy and reports every problem, each as {@code service.field.path:
 * what is wrong, got VALUE (expected: ...)}.
 */
public final class PolicyValidator {

  private static final Pattern SERVICE_NAME =
      Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
  private static final Pattern SPIFFE_ID =
      Pattern.compile("spiffe://[a-z0-9.\\-_]+(/[A-Za-z0-9.\\-_]+)+");
  private static final Pattern HTTP_TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._/-]{0,253})?");
  private static final int MAX_ATTEMPTS = 10;
  private static final int MAX_RING_SIZE = 1 << 20;
  private static final int MAX_ENDPOINT_WEIGHT = 10_000;

  private final String service;
  private final List<PolicyProblem> problems = new ArrayList<>();

  private PolicyValidator(String service) {
    this.service = service;
  }

  /** Every problem of the service policy with these fields; empty when it is valid. */
  public static List<PolicyProblem> validate(
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
    PolicyValidator v = new PolicyValidator(name.isEmpty() ? "<unnamed>" : name);
    if (!SERVICE_NAME.matcher(name).matches()) {
      v.problems.add(
          new PolicyProblem(
              "service",
              "invalid service name '"
                  + name
                  + "' (expected: lower-case DNS labels such as orders or orders.shop)"));
    }
    v.identities(identities, tls);
    v.nonNegative("timeout", timeout);
    v.loadBalancer(loadBalancer);
    v.retry(retry, timeout);
    v.circuitBreaker(circuitBreaker);
    v.outlierDetection(outlierDetection);
    v.endpoints(endpoints);
    v.routes(routes, endpoints);
    return List.copyOf(v.problems);
  }

  private void add(String path, String message) {
    problems.add(new PolicyProblem(service + "." + path, message));
  }

  private void identities(List<String> identities, TlsMode tls) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < identities.size(); i++) {
      String id = identities.get(i);
      if (!SPIFFE_ID.matcher(id).matches()) {
        add(
            "identities[" + i + "]",
            "not a SPIFFE ID, got '"
                + id
                + "' (expected: spiffe://<trust-domain>/<path>, e.g."
                + " spiffe://example.org/ns/shop/sa/orders)");
      } else if (!seen.add(id)) {
        add("identities[" + i + "]", "duplicate identity '" + id + "'");
      }
    }
    if (tls == TlsMode.STRICT && identities.isEmpty()) {
      add(
          "identities",
          "must name at least one SPIFFE ID when tls is STRICT (expected: the identities allowed"
              + " to serve this service)");
    }
  }

  private void nonNegative(String path, Duration d) {
    if (d.isNegative()) {
      add(path, "must not be negative, got " + Durations.format(d) + " (expected: 0 for none, or a positive duration)");
    }
  }

  private void positive(String path, Duration d) {
    if (d.isNegative() || d.isZero()) {
      add(path, "must be positive, got " + Durations.format(d));
    }
  }

  private void range(String path, long value, long min, long max) {
    if (value < min || value > max) {
      add(path, "must be in [" + min + ", " + max + "], got " + value);
    }
  }

  private void loadBalancer(LoadBalancerPolicy lb) {
    boolean ringHash = lb.algorithm() == LbAlgorithm.RING_HASH;
    String header = lb.hashHeader();
    if (ringHash && (header == null || header.isBlank())) {
      add(
          "loadBalancer.hashHeader",
          "is required for RING_HASH (expected: the request header to hash, e.g. x-user-id)");
    } else if (!ringHash && header != null) {
      add(
          "loadBalancer.hashHeader",
          "is only used by RING_HASH, got '"
              + header
              + "' with "
              + lb.algorithm()
              + " (expected: remove it, or use algorithm RING_HASH)");
    } else if (header != null && !HTTP_TOKEN.matcher(header).matches()) {
      add("loadBalancer.hashHeader", "not a valid header name, got '" + header + "'");
    }
    range("loadBalancer.ringSize", lb.ringSize(), 1, MAX_RING_SIZE);
    positive("loadBalancer.ewmaDecay", lb.ewmaDecay());
  }

  private void retry(RetryPolicy retry, Duration timeout) {
    range("retry.maxAttempts", retry.maxAttempts(), 1, MAX_ATTEMPTS);
    nonNegative("retry.perTryTimeout", retry.perTryTimeout());
    if (!timeout.isZero()
        && !retry.perTryTimeout().isZero()
        && retry.perTryTimeout().compareTo(timeout) > 0) {
      add(
          "retry.perTryTimeout",
          "is longer than the whole call's timeout, got "
              + Durations.format(retry.perTryTimeout())
              + " > "
              + Durations.format(timeout)
              + " (expected: at most timeout)");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < retry.retryOn().size(); i++) {
      String c = retry.retryOn().get(i);
      String problem = RetryConditions.problem(c);
      if (problem != null) {
        add("retry.retryOn[" + i + "]", problem);
      } else if (!seen.add(c)) {
        add("retry.retryOn[" + i + "]", "duplicate condition '" + c + "'");
      }
    }
    positive("retry.backoff.base", retry.backoff().base());
    positive("retry.backoff.max", retry.backoff().max());
    if (retry.backoff().max().compareTo(retry.backoff().base()) < 0) {
      add(
          "retry.backoff.max",
          "must be at least base, got "
              + Durations.format(retry.backoff().max())
              + " < "
              + Durations.format(retry.backoff().base()));
    }
    double ratio = retry.budget().ratio();
    if (!(ratio >= 0 && ratio <= 1)) {
      add("retry.budget.ratio", "must be in [0, 1], got " + ratio);
    }
    if (retry.budget().minPerSecond() < 0) {
      add("retry.budget.minPerSecond", "must not be negative, got " + retry.budget().minPerSecond());
    }
    Duration window = retry.budget().window();
    if (window.compareTo(Duration.ofSeconds(1)) < 0
        || window.compareTo(Duration.ofSeconds(60)) > 0
        || window.toNanosPart() != 0) {
      add("retry.budget.window", "must be whole seconds in [1s, 60s], got " + Durations.format(window));
    }
  }

  private void circuitBreaker(CircuitBreakerPolicy cb) {
    range("circuitBreaker.failureRateThreshold", cb.failureRateThreshold(), 0, 100);
    range("circuitBreaker.window", cb.window(), 1, 10_000);
    if (cb.minimumCalls() < 1 || cb.minimumCalls() > cb.window()) {
      add(
          "circuitBreaker.minimumCalls",
          "must be in [1, window=" + cb.window() + "], got " + cb.minimumCalls());
    }
    positive("circuitBreaker.openDuration", cb.openDuration());
    range("circuitBreaker.halfOpenCalls", cb.halfOpenCalls(), 1, 1000);
    if (cb.maxConcurrentRequests() < 0) {
      add(
          "circuitBreaker.maxConcurrentRequests",
          "must not be negative, got " + cb.maxConcurrentRequests() + " (expected: 0 for no limit)");
    }
  }

  private void outlierDetection(OutlierDetectionPolicy od) {
    range("outlierDetection.consecutiveFailures", od.consecutiveFailures(), 0, 1000);
    positive("outlierDetection.baseEjectionTime", od.baseEjectionTime());
    if (od.maxEjectionTime().compareTo(od.baseEjectionTime()) < 0) {
      add(
          "outlierDetection.maxEjectionTime",
          "must be at least baseEjectionTime, got "
              + Durations.format(od.maxEjectionTime())
              + " < "
              + Durations.format(od.baseEjectionTime()));
    }
    range("outlierDetection.maxEjectionPercent", od.maxEjectionPercent(), 0, 100);
    range("outlierDetection.panicThresholdPercent", od.panicThresholdPercent(), 0, 100);
  }

  private void endpoints(List<EndpointSpec> endpoints) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < endpoints.size(); i++) {
      EndpointSpec e = endpoints.get(i);
      String path = "endpoints[" + i + "]";
      HostAndPort hp = HostAndPort.parse(e.address());
      if (hp == null) {
        add(
            path + ".address",
            "not host:port, got '" + e.address() + "' (expected e.g. 10.0.0.7:8080 or [::1]:8080)");
      } else {
        Integer first = seen.putIfAbsent(hp.toString(), i);
        if (first != null) {
          add(path + ".address", "duplicate endpoint " + hp + " (also endpoints[" + first + "])");
        }
      }
      range(path + ".weight", e.weight(), 1, MAX_ENDPOINT_WEIGHT);
      labels(path + ".labels", e.labels());
    }
  }

  private void labels(String path, Map<String, String> labels) {
    labels.forEach(
        (k, v) -> {
          if (!LABEL.matcher(k).matches()) {
            add(path, "invalid label key '" + k + "'");
          }
        });
  }

  private void routes(List<Route> routes, List<EndpointSpec> endpoints) {
    for (int r = 0; r < routes.size(); r++) {
      Route route = routes.get(r);
      String path = "routes[" + r + "]";
      match(path + ".match", route.match());
      if (route.to().isEmpty()) {
        add(path + ".to", "must name at least one destination");
        continue;
      }
      long sum = 0;
      for (int d = 0; d < route.to().size(); d++) {
        Destination dest = route.to().get(d);
        String dpath = path + ".to[" + d + "]";
        if (dest.weight() < 0) {
          add(dpath + ".weight", "must not be negative, got " + dest.weight());
        } else {
          sum += dest.weight();
        }
        labels(dpath + ".subset", dest.subset());
        if (!endpoints.isEmpty() && dest.weight() > 0 && selectsNone(dest.subset(), endpoints)) {
          add(
              dpath + ".subset",
              "selects no endpoint, got "
                  + dest.subset()
                  + " (expected: labels that at least one of the service's endpoints has)");
        }
      }
      if (sum == 0) {
        add(path + ".to", "weights sum to 0 (expected: at least one positive weight)");
      } else if (sum > Integer.MAX_VALUE) {
        add(path + ".to", "weights sum to " + sum + ", more than " + Integer.MAX_VALUE);
      }
    }
  }

  private static boolean selectsNone(Map<String, String> subset, List<EndpointSpec> endpoints) {
    for (EndpointSpec e : endpoints) {
      if (e.labels().entrySet().containsAll(subset.entrySet())) {
        return false;
      }
    }
    return true;
  }

  private void match(String path, RouteMatch m) {
    int pathConditions =
        (m.path() != null ? 1 : 0) + (m.pathPrefix() != null ? 1 : 0) + (m.pathRegex() != null ? 1 : 0);
    if (pathConditions > 1) {
      add(path, "sets more than one of path, pathPrefix and pathRegex (expected: at most one)");
    }
    if (m.path() != null && !m.path().startsWith("/")) {
      add(path + ".path", "must start with '/', got '" + m.path() + "'");
    }
    if (m.pathPrefix() != null && !m.pathPrefix().startsWith("/")) {
      add(path + ".pathPrefix", "must start with '/', got '" + m.pathPrefix() + "'");
    }
    if (m.pathRegex() != null) {
      try {
        Pattern.compile(m.pathRegex());
      } catch (PatternSyntaxException e) {
        add(
            path + ".pathRegex",
            "not a valid regular expression, got '"
                + m.pathRegex()
                + "': "
                + e.getDescription()
                + " near index "
                + e.getIndex());
      }
    }
    for (int i = 0; i < m.methods().size(); i++) {
      String method = m.methods().get(i);
      if (!HTTP_TOKEN.matcher(method).matches() || !method.equals(method.toUpperCase(java.util.Locale.ROOT))) {
        add(path + ".methods[" + i + "]", "not an upper-case HTTP method, got '" + method + "'");
      }
    }
    m.headers()
        .keySet()
        .forEach(
            name -> {
              if (!HTTP_TOKEN.matcher(name).matches()
                  || !name.equals(name.toLowerCase(java.util.Locale.ROOT))) {
                add(
                    path + ".headers",
                    "header name must be a lower-case token, got '" + name + "'");
              }
            });
  }
}
