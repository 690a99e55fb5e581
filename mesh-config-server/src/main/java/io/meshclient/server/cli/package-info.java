/** The command line: {@code serve}, {@code validate}, {@code status}. */
@NullMarked
package io.meshclient.server.cli;

import org.jspecify.annotations.NullMarked;
