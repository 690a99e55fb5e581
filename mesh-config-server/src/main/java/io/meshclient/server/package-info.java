/**
 * The config server: serves a directory of policy files over the config stream (DESIGN.md §4),
 * keeps the registry of live instances, and shows who is connected on which version.
 */
@NullMarked
package io.meshclient.server;

import org.jspecify.annotations.NullMarked;
