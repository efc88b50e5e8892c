from downline.cli import console

console()
