package io.meshclient.policy;

import java.util.List;
import java.util.stream.Collectors;

/** A policy was rejected. Carries every problem found, not just the first. */
public final class PolicyValidationException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final List<PolicyProblem> problems;

  public PolicyValidationException(List<PolicyProblem> problems) {
    super(describe(problems));
    this.problems = List.copyOf(problems);
  }

  /** The problems, in the order the policy declares the fields. */
  public List<PolicyProblem> problems() {
    return problems;
  }

  private static String describe(List<PolicyProblem> problems) {
    String list = problems.stream().map(PolicyProblem::toString).collect(Collectors.joining("\n  "));
    return "invalid policy ("
        + problems.size()
        + (problems.size() == 1 ? " problem" : " problems")
        + "):\n  "
        + list;
  }
}
