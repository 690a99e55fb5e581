/** Policy validation and parsing helpers. Internal: not API, may change without notice. */
@NullMarked
package io.meshclient.internal.policy;

import org.jspecify.annotations.NullMarked;
