/**
 * MeshClient's entry points: the {@link io.meshclient.Mesh} runtime, the per-service {@link
 * io.meshclient.ServiceHandle} adapters hold, and the per-request {@link io.meshclient.MeshCall}.
 *
 * <p>The engine knows no transport. Adapters (OkHttp, grpc-java) drive every request through the
 * same steps, {@code route → pick → admit → call → record → (retry?)}, so the two protocols share
 * one set of semantics (DESIGN.md §3). The per-request steps allocate nothing once warm.
 */
@NullMarked
package io.meshclient;

import org.jspecify.annotations.NullMarked;
