package io.meshclient.server;

import com.google.protobuf.ByteString;
import io.meshclient.config.internal.Digests;
import io.meshclient.config.v1.Endpoint;
import io.meshclient.config.v1.ServicePolicy;
import io.meshclient.config.v1.ServiceResource;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the server publishes at one generation: the policies, the registered endpoints and the
 * CA's trust bundle. Immutable;
 * the resource of each service (and its digest) is built once, on first use, and shared by every
 * stream subscribed to it, so a push to 1,000 clients serializes each service once.
 */
final class Snapshot {

  /** One service's resource and the SHA-256 of its deterministic bytes. */
  record Resource(ServiceResource resource, byte[] digest) {}

  /** What a subscription set receives: its resources, in order, and their combined hash. */
  record Prepared(List<ServiceResource> resources, String hash) {}

  final long generation;
  final String policyHash;
  final Map<String, ServicePolicy> policies;
  final Map<String, List<Endpoint>> endpoints;
  final boolean warming;
  /** The CA roots clients must trust (DER), the signing one first; empty without a CA. */
  final List<ByteString> trustBundle;
  private final byte[] trustDigest;
  private final Map<String, Resource> resources = new ConcurrentHashMap<>();
  // Most streams of a fleet share a handful of subscription sets: each set is assembled and hashed
  // once per snapshot, not once per stream.
  private final Map<List<String>, Prepared> prepared = new ConcurrentHashMap<>();

  Snapshot(long generation, String policyHash, Map<String, ServicePolicy> policies, Map<String, List<Endpoint>> endpoints,
      boolean warming, List<ByteString> trustBundle) {
    this.generation = generation;
    this.trustBundle = List.copyOf(trustBundle);
    MessageDigest d = Digests.sha256();
    for (ByteString root : trustBundle) {
      d.update(Digests.sha256().digest(root.toByteArray()));
    }
    this.trustDigest = d.digest();
    this.warming = warming;
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
      if (warming) {
        b.setEndpointsWarming(true);
      }
      ServiceResource res = b.build();
      r = new Resource(res, Digests.sha256().digest(Digests.deterministicBytes(res)));
      Resource raced = resources.putIfAbsent(service, r);
      if (raced != null) {
        r = raced;
      }
    }
    return r;
  }

  /** The resources for a (sorted) subscription set, and their hash. */
  Prepared prepare(List<String> subscriptions) {
    Prepared p = prepared.get(subscriptions);
    if (p == null) {
      MessageDigest d = Digests.sha256();
      List<ServiceResource> list = new java.util.ArrayList<>(subscriptions.size());
      for (String name : subscriptions) {
        Resource r = resource(name);
        d.update(r.digest());
        list.add(r.resource());
      }
      if (!trustBundle.isEmpty()) {
        // The bundle is part of what a client receives: a rotation step is a new version.
        d.update(trustDigest);
      }
      p = new Prepared(List.copyOf(list), Digests.hex(d.digest()));
      Prepared raced = prepared.putIfAbsent(List.copyOf(subscriptions), p);
      if (raced != null) {
        p = raced;
      }
    }
    return p;
  }

  /** The policy set's version, as the status page shows it. */
  String version() {
    return generation + "-" + policyHash;
  }
}
