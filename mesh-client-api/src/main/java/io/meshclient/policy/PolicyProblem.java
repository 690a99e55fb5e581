package io.meshclient.policy;

/**
 * One thing wrong with a policy.
 *
 * @param path where: the service name and the field path, {@code orders.retry.budget.ratio}
 * @param message what is wrong and what would be right, with the offending value
 */
public record PolicyProblem(String path, String message) {

  @Override
  public String toString() {
    return path + ": " + message;
  }
}
