/** The registry of live service instances; the config stream is each instance's lease. */
@NullMarked
package io.meshclient.server.registry;

import org.jspecify.annotations.NullMarked;
