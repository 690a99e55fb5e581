package io.meshclient.server.ca.internal;

import io.meshclient.server.ca.RotationStage;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The CA's roots at one moment: the one that signs ({@code active}), a prepared successor ({@code
 * next}) or a retired-but-trusted predecessor ({@code previous}); never both.
 */
public record CaState(CaRoot active, @Nullable CaRoot next, @Nullable CaRoot previous) {

  public CaState {
    Objects.requireNonNull(active, "active");
    if (next != null && previous != null) {
      throw new IllegalArgumentException("a CA state has a next or a previous root, not both");
    }
  }

  public static CaState of(CaRoot root) {
    return new CaState(root, null, null);
  }

  public RotationStage stage() {
    return next != null ? RotationStage.PREPARED : previous != null ? RotationStage.ACTIVATED : RotationStage.STABLE;
  }

  /** The roots to trust, the signing one first. */
  public List<CaRoot> roots() {
    List<CaRoot> roots = new ArrayList<>(2);
    roots.add(active);
    if (next != null) {
      roots.add(next);
    }
    if (previous != null) {
      roots.add(previous);
    }
    return roots;
  }

  public List<X509Certificate> bundle() {
    return roots().stream().map(CaRoot::certificate).toList();
  }

  /** Equal when the same roots play the same roles. */
  public boolean sameAs(CaState o) {
    return active.id().equals(o.active.id()) && Objects.equals(id(next), id(o.next))
        && Objects.equals(id(previous), id(o.previous));
  }

  private static @Nullable String id(@Nullable CaRoot r) {
    return r == null ? null : r.id();
  }

  @Override
  public String toString() {
    return "CaState[" + stage() + ", active " + active.id() + (next == null ? "" : ", next " + next.id())
        + (previous == null ? "" : ", previous " + previous.id()) + "]";
  }
}
