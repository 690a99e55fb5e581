/** The command line: {@code serve}, {@code validate}, {@code status}, {@code ca}, {@code token}. */
@NullMarked
package io.meshclient.server.cli;

import org.jspecify.annotations.NullMarked;
