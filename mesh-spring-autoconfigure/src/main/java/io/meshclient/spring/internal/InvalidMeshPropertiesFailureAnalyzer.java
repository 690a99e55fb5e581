package io.meshclient.spring.internal;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.origin.Origin;
import org.springframework.core.env.Environment;

/**
 * Turns {@link InvalidMeshPropertiesException} into Boot's start-up report: each bad property with
 * its value, where it was set, and what is expected.
 */
public final class InvalidMeshPropertiesFailureAnalyzer
    extends AbstractFailureAnalyzer<InvalidMeshPropertiesException> {

  private final @Nullable Environment environment;

  public InvalidMeshPropertiesFailureAnalyzer(@Nullable Environment environment) {
    this.environment = environment;
  }

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, InvalidMeshPropertiesException cause) {
    StringBuilder description = new StringBuilder("MeshClient's configuration is invalid:\n");
    for (PropertyProblem p : cause.problems()) {
      description
          .append("\n    Property: ")
          .append(p.property())
          .append("\n    Value: ")
          .append(p.value());
      Origin origin = origin(p.property());
      if (origin != null) {
        description.append("\n    Origin: ").append(origin);
      }
      description.append("\n    Expected: ").append(p.expected()).append('\n');
    }
    return new FailureAnalysis(
        description.toString(),
        "Update the meshclient.* properties of your application as described above"
            + " (reference: docs/spring.md).",
        cause);
  }

  private @Nullable Origin origin(String property) {
    if (environment == null || !ConfigurationPropertyName.isValid(property)) {
      return null;
    }
    ConfigurationPropertyName name = ConfigurationPropertyName.of(property);
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      ConfigurationProperty found = source.getConfigurationProperty(name);
      if (found != null) {
        return found.getOrigin();
      }
    }
    return null;
  }
}
