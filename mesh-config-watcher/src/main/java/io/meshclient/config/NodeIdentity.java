package io.meshclient.config;

import java.util.Map;
import java.util.Objects;

/**
 * Who a process is, as the config server sees it.
 *
 * @param id unique per process, e.g. {@code orders-7f9c-1}
 * @param service the logical service this process serves (may be empty for a pure client)
 * @param zone the process's zone, or empty
 * @param labels the process's labels (e.g. {@code version: v2})
 */
public record NodeIdentity(String id, String service, String zone, Map<String, String> labels) {

  public NodeIdentity {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(zone, "zone");
    labels = Map.copyOf(labels);
    if (id.isBlank()) {
      throw new IllegalArgumentException("node id: must not be blank (expected: unique per process)");
    }
  }

  public static NodeIdentity of(String id, String service) {
    return new NodeIdentity(id, service, "", Map.of());
  }

  public NodeIdentity withZone(String zone) {
    return new NodeIdentity(id, service, zone, labels);
  }

  public NodeIdentity withLabels(Map<String, String> labels) {
    return new NodeIdentity(id, service, zone, labels);
  }
}
