package io.meshclient.spring;

import io.meshclient.Mesh;

/**
 * Customizes the {@link Mesh.Builder} of the auto-configured {@link Mesh} bean, after the
 * properties, {@code Ticker}, {@code RandomSource} and {@code MeshListener} beans were applied.
 */
@FunctionalInterface
public interface MeshBuilderCustomizer {

  void customize(Mesh.Builder builder);
}
