/**
 * The config server: serves a directory of policy files over the config stream (DESIGN.md §4),
 * keeps the registry of live instances, issues workload certificates and streams the trust bundle
 * when given a {@link io.meshclient.server.ca.CertificateAuthority} (DESIGN.md §5), and shows who is
 * connected on which version.
 *
 * <p>Stability: experimental until MeshClient 1.0. The CLI's commands, options and exit codes and
 * the {@code /status} document ({@code meshclient.v1.ServerStatus}) are the interfaces meant for
 * scripts; the Java API is for embedding and tests and may change.
 */
@NullMarked
package io.meshclient.server;

import org.jspecify.annotations.NullMarked;
