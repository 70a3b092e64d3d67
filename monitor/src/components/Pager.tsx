/** Newer/older buttons of a cursor-paged listing. */
export function Pager({ page, hasOlder, onNewer, onOlder }: { page: number; hasOlder: boolean; onNewer(): void; onOlder(): void }) {
  if (page === 1 && !hasOlder) return null;
  return (
    <div class="pager" data-testid="pager">
      <button type="button" onClick={onNewer} disabled={page === 1}>
        ← Previous
      </button>
      <span>page {page}</span>
      <button type="button" onClick={onOlder} disabled={!hasOlder}>
        Next →
      </button>
    </div>
  );
}
