/** The status document over HTTP ({@code /status} JSON, {@code /} HTML) and its table form. */
@NullMarked
package io.meshclient.server.status;

import org.jspecify.annotations.NullMarked;
