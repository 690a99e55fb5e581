package io.meshclient.policy;

import java.util.Map;
import java.util.Objects;

/**
 * A statically declared or registered instance of a service.
 *
 * @param address {@code host:port} ({@code [v6]:port} for IPv6 literals)
 * @param zone the instance's zone, or the empty string
 * @param weight the relative weight for weighted algorithms, in [1, 10000] (default 1)
 * @param labels the instance's labels, selected by route subsets
 */
public record EndpointSpec(String address, String zone, int weight, Map<String, String> labels) {

  public EndpointSpec {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(zone, "zone");
    labels = Map.copyOf(labels);
  }

  public static EndpointSpec of(String address) {
    return new EndpointSpec(address, "", 1, Map.of());
  }

  public static EndpointSpec of(String address, Map<String, String> labels) {
    return new EndpointSpec(address, "", 1, labels);
  }

  public EndpointSpec withZone(String zone) {
    return new EndpointSpec(address, zone, weight, labels);
  }

  public EndpointSpec withWeight(int weight) {
    return new EndpointSpec(address, zone, weight, labels);
  }
}
