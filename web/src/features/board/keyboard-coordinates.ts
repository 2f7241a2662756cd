import type { KeyboardCoordinateGetter } from "@dnd-kit/core";

/**
 * Keyboard moves jump a whole column: ArrowRight/ArrowLeft put the card into the next column
 * (dnd-kit's default moves 25 px per key press, which never reaches a neighbouring column).
 */
export const columnKeyboardCoordinates: KeyboardCoordinateGetter = (
  event,
  { context, currentCoordinates },
) => {
  if (event.code !== "ArrowRight" && event.code !== "ArrowLeft") {
    return undefined;
  }
  event.preventDefault();
  const { collisionRect, droppableRects, droppableContainers } = context;
  if (!collisionRect) {
    return undefined;
  }
  const columns = droppableContainers
    .getEnabled()
    .flatMap((container) => {
      const rect = droppableRects.get(container.id);
      return rect ? [rect] : [];
    })
    .sort((a, b) => a.left - b.left);
  const centerX = collisionRect.left + collisionRect.width / 2;
  const target =
    event.code === "ArrowRight"
      ? columns.find((rect) => rect.left > centerX)
      : [...columns].reverse().find((rect) => rect.left + rect.width < centerX);
  if (!target) {
    return undefined;
  }
  return { x: target.left + (target.width - collisionRect.width) / 2, y: currentCoordinates.y };
};
