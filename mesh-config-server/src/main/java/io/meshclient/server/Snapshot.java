package io.meshclient.server;

import io.meshclient.config.internal.Digests;
import io.meshclient.config.v1.Endpoint;
import io.meshclient.config.v1.ServicePolicy;
import io.meshclient.config.v1.ServiceResource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the server publishes at one generation: the policies and the registered endpoints. Immutable;
 * the resource of each service (and its digest) is built once, on first use, and shared by every
 * stream subscribed to it, so a push to 1,000 clients serializes each service once.
 */
final class Snapshot {

  /** One service's resource and the SHA-256 of its deterministic bytes. */
  record Resource(ServiceResource resource, byte[] digest) {}

  final long generation;
  final String policyHash;
  final Map<String, ServicePolicy> policies;
  final Map<String, List<Endpoint>> endpoints;
  private final Map<String, Resource> resources = new ConcurrentHashMap<>();

  Snapshot(long generation, String policyHash, Map<String, ServicePolicy> policies, Map<String, List<Endpoint>> endpoints) {
    this.generation = generation;
    this.policyHash = policyHash;
    this.policies = policies;
    this.endpoints = endpoints;
  }

  Resource resource(String service) {
    Resource r = resources.get(service);
    if (r == null) {
      ServiceResource.Builder b = ServiceResource.newBuilder().setName(service);
      ServicePolicy p = policies.get(service);
      if (p != null) {
        b.setPolicy(p);
      }
      b.addAllEndpoints(endpoints.getOrDefault(service, List.of()));
      ServiceResource res = b.build();
      r = new Resource(res, Digests.sha256().digest(Digests.deterministicBytes(res)));
      Resource raced = resources.putIfAbsent(service, r);
      if (raced != null) {
        r = raced;
      }
    }
    return r;
  }

  /** The policy set's version, as the status page shows it. */
  String version() {
    return generation + "-" + policyHash;
  }
}
