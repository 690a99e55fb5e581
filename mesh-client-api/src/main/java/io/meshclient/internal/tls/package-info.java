/** Key and trust managers behind {@link io.meshclient.tls.MeshCredentials}. Internal. */
@NullMarked
package io.meshclient.internal.tls;

import org.jspecify.annotations.NullMarked;
