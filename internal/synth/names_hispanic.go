package synth

// Name lists for the city generator, most common first within each list.
// They are written for this project from general knowledge of naming in
// each community (no third-party frequency table is copied); the generator
// gives them Zipf-like frequencies by rank and adds a long tail of rarer
// names (see pools.go), so common names repeat as often as they do in a
// city and most surnames are rare.

// Hispanic surnames: Puerto Rican, Dominican, Mexican, Central and South
// American (including the Ecuadorian and Guatemalan Maya names common in
// New England cities).
const hispanicSurnames = `García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez,
Ramírez, Torres, Flores, Rivera, Gómez, Díaz, Cruz, Morales, Reyes, Gutiérrez, Ortiz, Ramos,
Vázquez, Castillo, Jiménez, Moreno, Romero, Herrera, Medina, Aguilar, Santiago, Castro, Vargas,
Fernández, Guzmán, Mendoza, Ruiz, Álvarez, Colón, Muñoz, Rojas, Contreras, Salazar, Chávez, Soto,
Delgado, Figueroa, Rosario, Luna, Domínguez, Ríos, Méndez, Juárez, Estrada, Sandoval, Núñez,
Santos, Guerrero, Acosta, Ortega, Vega, Maldonado, Espinoza, Márquez, Cabrera, Peña, Pacheco,
Cortés, Valdez, Rosales, Lara, Carrillo, Fuentes, Aguirre, Cervantes, Salinas, Padilla, Ayala,
Burgos, Vélez, Molina, Rivas, Serrano, Suárez, Miranda, Navarro, Ibarra, Zamora, Trujillo,
Camacho, Escobar, Ávila, Montoya, Sosa, Calderón, Robles, Galván, Mejía, Benítez, Orozco,
Villarreal, Quintero, Osorio, Pineda, Solís, León, Caballero, Nieves, Cárdenas, Arroyo, Bonilla,
Santana, Valencia, Cordero, Pizarro, Aponte, Matos, Feliciano, Ocasio, Quiñones, Pagán, Toledo,
Lozada, Mercado, Negrón, Otero, Rosa, Marrero, Alicea, Irizarry, Caraballo, Echevarría, Lugo,
Villanueva, Zayas, Maisonet, Báez, Batista, Tejada, Polanco, Almonte, Paulino, Peralta, Mateo,
Encarnación, Fermín, Abreu, Pimentel, Liriano, Ventura, De Jesús, De la Cruz, Del Valle, De León,
De la Rosa, Guaman, Quizhpi, Pesántez, Loja, Sinchi, Tenesaca, Lema, Chimbo, Morocho, Zhagui,
Guamán, Xol, Coc, Caal, Pop, Tzul, Ajú, Chávez, Tum, Yax, Huerta, Barajas, Zepeda, Arreola,
Zavala, Macías, Bautista, Carmona, Rangel, Velázquez, Cisneros, Tapia, Beltrán, Duarte, Salas,
Montes, Olvera, Ochoa, Villa, Vera, Valle, Franco, Durán, Mora, Campos, Ibáñez, Zelaya, Montañez,
Yáñez, Betancourt, Nazario, Cintrón, Rolón, Torrez, Concepción, Correa, Pabón, Rentas, Cotto,
Agosto, Berríos, Crespo, Cuevas, Dávila, Esquilín, Fontánez, Laboy, Meléndez, Montalvo, Muñiz,
Narváez, Olmo, Oquendo, Pantoja, Quiles, Rosado, Sepúlveda, Tirado, Vidal, Andújar, Brito,
Cabral, Castellanos, Céspedes, Disla, Frías, Guerrero, Hidalgo, Jáquez, Lantigua, Marte, Moya,
Núñez, Objío, Pichardo, Reynoso, Rosario, Santos, Tavárez, Ureña, Valerio, Vásquez, Acevedo,
Adorno, Alvarado, Arias, Barrera, Bermúdez, Blanco, Bravo, Cano, Carrasco, Cedeño, Cortez,
Escalante, Fajardo, Galindo, Gallegos, Guevara, Lucero, Madrid, Marín, Mata, Medrano, Mena,
Meza, Murillo, Nava, Palacios, Paredes, Parra, Pardo, Ponce, Portillo, Prieto, Quintana, Rubio,
Saavedra, Solano, Trejo, Ulloa, Valenzuela, Villalobos, Zúñiga, Aguilera, Alfaro, Alonso, Amaya,
Andrade, Arce, Argueta, Barrios, Bonilla, Calle, Carranza, Castañeda, Chacón, Cordova, Corona,
Coronado, Espinal, Esparza, Estévez, Farías, Gallardo, Garay, Godoy, Granados, Hurtado, Jaramillo,
Lemus, Lira, Loya, Luján, Manzano, Mancilla, Miramontes, Mojica, Montenegro, Munguía, Olivares,
Orellana, Palma, Pedraza, Peralta, Quiroz, Real, Recinos, Roldán, Sáenz, Segura, Sierra, Sotelo,
Tobar, Toro, Umaña, Urbina, Varela, Velasco, Zapata`

// Hispanic female given names, with the compound names that are single
// given names in practice ("María José", "Ana María").
const hispanicFemale = `María, Ana, Rosa, Carmen, María José, Guadalupe, Josefina, Lucía, Sofía,
Isabel, Patricia, Ana María, Dolores, Teresa, María Isabel, Francisca, Margarita, Gabriela,
Verónica, María del Carmen, Yesenia, Leticia, Alejandra, Mercedes, Rosario, María Luisa,
Consuelo, Xiomara, Yolanda, Beatriz, Graciela, Maritza, Esperanza, Concepción, Marisol,
María Elena, Daniela, Valentina, Camila, Andrea, Paola, Carolina, Elena, Luz, Luz María, Juana,
Martha, Silvia, Adriana, Claudia, Mónica, Sandra, Lourdes, Gloria, Norma, Rocío, Elizabeth,
Jessica, Karina, Diana, Laura, Natalia, Fernanda, Ximena, Jimena, Victoria, Isabella, Mariana,
Melissa, Stephanie, Jennifer, Nicole, Ashley, Kimberly, Yajaira, Yamilet, Yanira, Damaris, Zoraida,
Milagros, Nilda, Aida, Awilda, Ivelisse, Migdalia, Wanda, Carmen Rosa, María Teresa, María de los Ángeles,
María Guadalupe, Ana Lucía, Rosa María, Flor, Esmeralda, Araceli, Blanca, Irma, Olga, Alma, Reina,
Marta, Elsa, Susana, Cristina, Angélica, Brenda, Evelyn, Ingrid, Janeth, Lorena, Maribel, Nancy,
Noemí, Perla, Raquel, Rebeca, Ruth, Sonia, Vanessa, Wendy, Yadira, Zulema, Dulce, Itzel, Fátima,
Abigail, Alondra, Arely, Belén, Catalina, Celia, Cecilia, Emilia, Estela, Eva, Fabiola, Gisela,
Hilda, Inés, Jacqueline, Judith, Julia, Lidia, Liliana, Magdalena, Marcela, Miriam, Ofelia, Paula,
Pilar, Regina, Rosalba, Sara, Tania, Úrsula, Virginia, Yesica, Zaida`

const hispanicMale = `José, Juan, Luis, Carlos, Juan Carlos, José Luis, Francisco, Jesús, Miguel,
Pedro, Antonio, Manuel, Jorge, Alejandro, Roberto, Ricardo, Miguel Ángel, Eduardo, Fernando,
Guillermo, Rafael, Santiago, Enrique, Ignacio, Javier, Héctor, Óscar, Raúl, Ángel, Julio, Víctor,
Wilfredo, Efraín, José Antonio, Juan Pablo, Luis Alberto, Juan José, Mario, Sergio, Arturo,
Alberto, Andrés, Daniel, David, Diego, Gabriel, Gerardo, Hugo, Iván, Jaime, Joel, Jonathan,
Josué, Julián, Leonardo, Lorenzo, Marco Antonio, Martín, Mauricio, Nelson, Orlando, Pablo, Ramón,
Rubén, Salvador, Samuel, Sebastián, Tomás, Vicente, Edwin, Elvin, Wilson, Héctor Luis, José Manuel,
José Ángel, Juan Manuel, Luis Miguel, Carlos Alberto, Edgar, Emilio, Ernesto, Esteban, Felipe,
Fidel, Gilberto, Gonzalo, Gustavo, Humberto, Isaac, Israel, Jacinto, Joaquín, Leonel, Lucas,
Marcos, Mateo, Nicolás, Noé, Octavio, Omar, Pascual, Porfirio, Ramiro, René, Reynaldo, Rodrigo,
Rogelio, Saúl, Teodoro, Ulises, Valentín, Wilmer, Xavier, Yordi, Anthony, Kevin, Brian, Christian,
Bryan, Erick, Elías, Benjamín, Cristóbal, Domingo, Aurelio, Alfredo, Adrián, Abel, Agustín, Alonso,
Armando, Bernardo, Camilo, César, Darío, Esteban, Fabián, Federico, Feliciano, Florencio, Froilán,
Heriberto, Hipólito, Inocencio, Jacobo, Lázaro, Leopoldo, Maximiliano, Moisés, Nahúm, Néstor,
Osvaldo, Rigoberto, Santos, Simón, Tito, Wilfrido`

// Spanish given names that are also, with a particle, surnames or places:
// used for nicknames in the generator, not for surnames.
const hispanicNicknames = `José:Pepe|Chepe, Francisco:Paco|Pancho|Frank, Guadalupe:Lupe|Lupita,
Jesús:Chuy|Chucho, Roberto:Beto, Alberto:Beto, Antonio:Toño|Tony, Alejandro:Alex, Enrique:Quique,
Ignacio:Nacho, Manuel:Manolo|Manny, Rosario:Chayo, Dolores:Lola, Concepción:Concha,
Consuelo:Chelo, Eduardo:Lalo, Guillermo:Memo, Rafael:Rafa, Santiago:Santi, Ricardo:Ricky,
Fernando:Nando, Patricia:Paty, Isabel:Chabela, Mercedes:Meche, Graciela:Chela, Francisca:Paca,
Josefina:Pepa, Teresa:Tere, Gabriela:Gaby, Salvador:Chava, Vicente:Chente, Ernesto:Neto,
Armando:Mando, Margarita:Magui, Jorge:Coco, Luis:Lucho, Carlos:Carlitos, Juan:Juanito, Ana:Anita,
Cristina:Cris, Alejandra:Ale, Daniela:Dani, Guadalupe:Lupe, Gerardo:Jerry, Jaime:Jimmy,
Miguel:Mike, Pedro:Peter, Juan:John, José:Joe, María:Mary`
