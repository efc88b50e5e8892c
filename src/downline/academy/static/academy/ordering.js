// Ordering questions: move items up/down; the hidden input keeps the order (choice ids).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-move]");
  if (!button) return;
  event.preventDefault();
  const item = button.closest("li");
  const list = item.parentElement;
  if (button.dataset.move === "up" && item.previousElementSibling) {
    list.insertBefore(item, item.previousElementSibling);
  } else if (button.dataset.move === "down" && item.nextElementSibling) {
    list.insertBefore(item.nextElementSibling, item);
  }
  const input = document.getElementById(list.dataset.input);
  input.value = [...list.querySelectorAll("li")].map((li) => li.dataset.id).join(",");
});
