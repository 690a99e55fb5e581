package io.meshclient.policy;

import java.util.Map;

/**
 * A weighted share of a route's traffic, sent to the endpoints whose labels include all of {@code
 * subset} (an empty subset selects every endpoint of the service).
 *
 * @param subset the label selector
 * @param weight the relative weight, at least 0; the route's weights must not sum to 0
 */
public record Destination(Map<String, String> subset, int weight) {

  public Destination {
    subset = Map.copyOf(subset);
  }

  /** All endpoints of the service. */
  public static Destination all() {
    return new Destination(Map.of(), 100);
  }

  public static Destination subset(Map<String, String> subset, int weight) {
    return new Destination(subset, weight);
  }
}
