/** Implementation of the Spring integration. Not API: may change in any release. */
@NullMarked
package io.meshclient.spring.internal;

import org.jspecify.annotations.NullMarked;
