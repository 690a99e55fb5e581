/** Internals of the config watcher: not API, may change without notice. */
@NullMarked
package io.meshclient.config.internal;

import org.jspecify.annotations.NullMarked;
