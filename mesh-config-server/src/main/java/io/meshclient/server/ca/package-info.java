/**
 * The workload CA (DESIGN.md §5): the root the server signs workload certificates with, the trust
 * bundle it streams to every client, and the rotation of that root with an overlap (prepare,
 * activate, retire) on a running server.
 *
 * <p>Stability: experimental until MeshClient 1.0. Key material never appears in logs, in {@code
 * toString()} or on the status page.
 */
@NullMarked
package io.meshclient.server.ca;

import org.jspecify.annotations.NullMarked;
