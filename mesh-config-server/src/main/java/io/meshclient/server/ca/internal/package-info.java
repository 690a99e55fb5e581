/** The CA's internals: PEM files and the state directory, CSR checks, leaf building, bootstrap tokens. */
@NullMarked
package io.meshclient.server.ca.internal;

import org.jspecify.annotations.NullMarked;
