/**
 * Newer/older buttons of a cursor-paged listing: `next` is the listing's cursor of the following page (null or
 * not yet loaded: no older page), handed to `onOlder`.
 */
export function Pager({
  page,
  next,
  onNewer,
  onOlder,
}: {
  page: number;
  next: number | null | undefined;
  onNewer(): void;
  onOlder(cursor: number): void;
}) {
  if (page === 1 && next == null) return null;
  return (
    <div class="pager" data-testid="pager">
      <button type="button" onClick={onNewer} disabled={page === 1}>
        ← Previous
      </button>
      <span>page {page}</span>
      <button type="button" onClick={() => next != null && onOlder(next)} disabled={next == null}>
        Next →
      </button>
    </div>
  );
}
