/**
 * Policy sources for a {@link io.meshclient.policy.MeshPolicy}: the streaming client of the config
 * server ({@link io.meshclient.config.MeshConfigWatcher}), a directory of YAML policy files
 * ({@link io.meshclient.config.FilePolicySource}), and the shared formats: YAML files and the
 * protobuf wire schema {@code meshclient/v1} map onto each other, and onto the engine's model in
 * one place ({@link io.meshclient.config.PolicyConversion}). The workload's certificates come from
 * the same server: {@link io.meshclient.config.CertificateRenewer} obtains and renews them, {@link
 * io.meshclient.config.ConfigChannels} secures the connection with TLS.
 *
 * <p>Stability: experimental until MeshClient 1.0. The wire schema {@code meshclient.v1} only grows
 * compatibly (new fields, new enum values, which older clients NACK rather than misapply); the Java
 * API may still change.
 */
@NullMarked
package io.meshclient.config;

import org.jspecify.annotations.NullMarked;
