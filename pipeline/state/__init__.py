"""The per-user state directory as a whole: sealed into an archive for a shared cache, pruned of people gone."""
