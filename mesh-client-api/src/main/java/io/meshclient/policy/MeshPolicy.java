package io.meshclient.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * An immutable, validated snapshot of the policy of every service a process calls: what {@link
 * io.meshclient.Mesh#update(MeshPolicy)} applies.
 *
 * @param version identifies this snapshot (the config server's content-derived version)
 * @param services the service policies by name
 */
public record MeshPolicy(String version, Map<String, ServicePolicy> services) {

  /** No services. */
  public static final MeshPolicy EMPTY = new MeshPolicy("0", Map.of());

  public MeshPolicy {
    Objects.requireNonNull(version, "version");
    services = Collections.unmodifiableMap(new TreeMap<>(services));
    List<PolicyProblem> problems = new ArrayList<>();
    if (version.isBlank()) {
      problems.add(new PolicyProblem("version", "must not be blank (expected: a version string)"));
    }
    services.forEach(
        (key, policy) -> {
          if (!key.equals(policy.name())) {
            problems.add(
                new PolicyProblem(
                    key, "is keyed under '" + key + "' but is named '" + policy.name() + "'"));
          }
        });
    if (!problems.isEmpty()) {
      throw new PolicyValidationException(problems);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A copy of this policy to change: the basis of an update. */
  public Builder toBuilder() {
    Builder b = new Builder().version(version);
    services.values().forEach(b::service);
    return b;
  }

  /** The policy of {@code service}, or null. */
  public @Nullable ServicePolicy service(String service) {
    return services.get(service);
  }

  /** Builds a {@link MeshPolicy}. */
  public static final class Builder {
    private String version = "0";
    private final Map<String, ServicePolicy> services = new TreeMap<>();

    private Builder() {}

    public Builder version(String version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    /** Adds or replaces the policy of {@code policy.name()}. */
    public Builder service(ServicePolicy policy) {
      services.put(policy.name(), policy);
      return this;
    }

    public Builder removeService(String name) {
      services.remove(name);
      return this;
    }

    public MeshPolicy build() {
      return new MeshPolicy(version, services);
    }
  }
}
