package io.meshclient.spring.internal;

import java.util.List;
import java.util.stream.Collectors;

/** {@code meshclient.*} properties were rejected. Carries every problem found. */
public final class InvalidMeshPropertiesException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final transient List<PropertyProblem> problems;

  public InvalidMeshPropertiesException(List<PropertyProblem> problems) {
    super(
        "invalid meshclient properties:\n  "
            + problems.stream().map(PropertyProblem::toString).collect(Collectors.joining("\n  ")));
    this.problems = List.copyOf(problems);
  }

  public List<PropertyProblem> problems() {
    return problems;
  }
}
